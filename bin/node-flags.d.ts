/** The V8 flags fjord runs with (see node-flags.js). */
export declare const NODE_FLAGS: readonly string[];
