import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { Request } from 'express';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
/** Sec-Fetch-Site values of a request this site's own pages (or the user, typing) made. */
const OWN_FETCH_SITES = new Set(['same-origin', 'none']);

/**
 * CSRF defence for the routes the session cookie authenticates. SameSite=Lax is not enough:
 * "site" means the registrable domain, ports ignored, so a page on another localhost port (or a
 * sibling subdomain) is same-site and its POSTs carry the cookie. Two checks, no token:
 * - writes must be `application/json`. A form, or a fetch without CORS, can only send a
 *   "simple" request (text/plain, urlencoded, multipart); JSON forces a CORS preflight, and the
 *   cart answers none (it sends no Access-Control-Allow-* header), so the browser never sends
 *   the write. A body-less write sends `{}`.
 * - a write whose `Sec-Fetch-Site` is not same-origin, or whose `Origin` is not this site's own
 *   (scheme, host and port, as the client reached it through the entry point) is refused: the
 *   browser sets both and a page cannot forge them; clients that are not browsers send neither.
 * DELETE takes no body; it already needs a preflight, and the origin check applies to it too.
 */
@Injectable()
export class CsrfGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    if (SAFE_METHODS.has(request.method)) return true;
    const fetchSite = request.headers['sec-fetch-site'];
    if (fetchSite !== undefined && !OWN_FETCH_SITES.has(String(fetchSite))) {
      throw new ForbiddenException(
        `cross-site request refused (Sec-Fetch-Site: ${String(fetchSite).slice(0, 20)})`,
      );
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !isOwnOrigin(origin, request)) {
      throw new ForbiddenException(
        "cross-site request refused: its Origin is not the cart's own",
      );
    }
    if (BODY_METHODS.has(request.method) && !isJson(request)) {
      throw new UnsupportedMediaTypeException(
        'cart writes take a JSON body (Content-Type: application/json; send {} when there is nothing to send)',
      );
    }
    return true;
  }
}

/**
 * Is `origin` this site's origin as the client reached it (scheme and host through the entry
 * point: Express's trust proxy reads X-Forwarded-Proto/-Host from it)? `null` (a sandboxed
 * frame, a redirect from elsewhere) or no usable Host never is.
 */
function isOwnOrigin(origin: string, request: Request): boolean {
  try {
    const own = new URL(`${request.protocol}://${request.host}`).origin;
    return new URL(origin).origin === own;
  } catch {
    return false;
  }
}

function isJson(request: Request): boolean {
  const mediaType = request.headers['content-type']?.split(';')[0];
  return mediaType?.trim().toLowerCase() === 'application/json';
}
