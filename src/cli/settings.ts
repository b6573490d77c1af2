/**
 * The one settings loader every command uses: defaults < DATA/fjord.json < the --config file <
 * the command's flags, then validateConfig, so `fjord publish`, `fjord user` and the rest refuse a
 * bad setting with the same one-line message `fjord serve` gives, instead of some commands
 * ignoring it and others failing later.
 */
import { resolve } from 'node:path';
import { defaults, readConfigFile, readDataDirConfig, validateConfig, type Config } from '../config.js';

/** The flags every command that reads settings takes. */
export interface CommonFlags {
  data?: string;
  config?: string;
  catalog?: string;
}

/**
 * The effective settings. `flags` applies the command's own flags to the merged settings; it is
 * also given what the files said, for settings whose default follows another one (serve's
 * minInterval follows the interval unless a file or flag sets it).
 */
export function loadSettings(o: CommonFlags, flags?: (c: Config, files: Partial<Config>) => void): Config {
  const given = o.config ? readConfigFile(o.config) : {};
  // DATA/fjord.json (settings shared by serve, publish and the rest) under the --config file.
  const files = { ...readDataDirConfig(resolve(o.data ?? given.dataDir ?? defaults.dataDir)), ...given };
  const c: Config = { ...defaults, ...files };
  if (o.data) c.dataDir = o.data;
  if (o.catalog) c.catalogUrl = o.catalog;
  flags?.(c, files);
  c.dataDir = resolve(c.dataDir);
  if (c.listFile) c.listFile = resolve(c.listFile);
  return validateConfig(c);
}
