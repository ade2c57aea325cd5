/**
 * DNS rebinding guard (issue #17 point 8). Without AICS_API_TOKEN the loopback API trusts whoever can reach it;
 * a web page in the operator's browser can reach it too, by pointing its own host name at 127.0.0.1. Its requests
 * then carry that name in Host, so without a token only loopback Host values (localhost, 127.x.x.x, [::1]) and the
 * names listed in AICS_ALLOWED_HOSTS are served. With a token every request must carry it, so Host is not checked.
 */
import { isLoopbackHost } from '../../config.js';

/** The host name of a Host header value, without its port (`[::1]:6060` → `::1`, `Localhost:6060` → `localhost`). */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return (colon >= 0 ? h.slice(0, colon) : h).replace(/\.$/, '');
}

export type HostCheck = (hostHeader: string | undefined) => boolean;

export function hostChecker(allowed: readonly string[]): HostCheck {
  const extra = new Set(allowed.map((a) => hostName(a)));
  return (header) => {
    if (!header) return false;
    const name = hostName(header);
    return isLoopbackHost(name) || extra.has(name);
  };
}
