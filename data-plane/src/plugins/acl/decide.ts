/** acl's decision (Kong's get_to_be_blocked), pure. */

/**
 * `true` when the groups are refused; otherwise the X-Consumer-Groups value (", "-joined).
 * With `allow`, a consumer in none of the groups is refused; with `deny`, one in any of them.
 */
export function blockedOrGroups(
  groups: readonly string[],
  allow: readonly string[] | null | undefined,
  deny: readonly string[] | null | undefined,
): true | string {
  if (allow != null && allow.length > 0) {
    if (!groups.some((g) => allow.includes(g))) return true;
  } else if (deny != null && groups.some((g) => deny.includes(g))) return true;
  return groups.join(', ');
}
