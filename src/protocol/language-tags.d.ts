/** The part of language-tags (IANA language subtag registry, RFC 5646) fjord uses; the package ships no types. */
declare module 'language-tags' {
  interface Subtag {
    type(): string;
    format(): string;
    descriptions(): string[];
    preferred(): Subtag | null;
    deprecated(): string | null;
  }
  interface Tag {
    valid(): boolean;
    errors(): Array<Error & { code: number; subtag?: string }>;
    format(): string;
    preferred(): Tag | null;
    deprecated(): string | null;
    language(): Subtag | undefined;
    subtags(): Subtag[];
    type(): string;
  }
  interface Tags {
    (tag: string): Tag;
    search(query: string | RegExp, all?: boolean): Array<Subtag | Tag>;
    language(subtag: string): Subtag | null;
    subtags(subtags: string | string[]): Subtag[];
    date(): string;
  }
  const tags: Tags;
  export default tags;
}
