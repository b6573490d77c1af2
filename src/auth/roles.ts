/**
 * Roles and what they may do (documented in docs/statistics.md, "Roles"):
 *
 *   permission   what it covers                                   admin  editor  moderator  rights-holder
 *   stats        statistics API and pages, rights calendar          x      x
 *   publish      publishing from the inbox, rights changes          x      x
 *   subtitles    approving and rejecting community subtitles        x               x
 *   audit        reading the audit log                              x
 *   users        managing accounts (today: the `fjord user` CLI)    x
 *   reports      rights holders' reports and contracts, read-only   x      x                  own party
 *
 * A rights-holder account is linked to one party (users.party_id, migration 007) and sees only
 * that party's reports and contracts; the routes check it (src/web/admin/newsroom-api.ts).
 *
 * Every signed-in user may read /admin/api/me, change their own password and log out.
 */
export const ROLES = ['admin', 'editor', 'moderator', 'rights-holder'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = ['stats', 'publish', 'subtitles', 'audit', 'users', 'reports'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  admin: PERMISSIONS,
  editor: ['stats', 'publish', 'reports'],
  moderator: ['subtitles'],
  'rights-holder': ['reports'],
};

export function isRole(x: string): x is Role {
  return (ROLES as readonly string[]).includes(x);
}

export function can(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}
