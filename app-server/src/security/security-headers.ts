import helmet from 'helmet'
import type { RequestHandler } from 'express'

/**
 * helmet with a strict Content-Security-Policy: our pages need no script at all and load
 * only /static/style.css, so nothing inline can run even if some text escaped its escaping.
 */
export function securityHeaders(options: { https: boolean }): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        ...(options.https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
    // HSTS only means something when the browser reached us over HTTPS.
    strictTransportSecurity: options.https ? { maxAge: 31536000, includeSubDomains: false } : false,
  })
}
