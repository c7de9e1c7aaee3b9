# Varnish Cache starter configuration (VCL 4.1, Varnish 7.x).
#
# Traffic arrives from the previous proxy in the chain (or the edge's TLS offload) with X-Forwarded-For and
# X-Forwarded-Proto set. Requests Varnish cannot answer from cache go to "next-hop": the next module of the proxy
# chain, or the origin configured in section.config.json.
#
# What this file does:
#   - never caches requests that carry a Cookie or an Authorization header, or that are not GET/HEAD;
#   - strips marketing/tracking query parameters (utm_*, gclid, fbclid, ...) and sorts the query string so that
#     the same page is one cache object;
#   - honours the origin's Cache-Control / Expires (Varnish derives the TTL from them; Set-Cookie,
#     Cache-Control: private/no-store/no-cache make a response uncacheable);
#   - serves stale content for up to 6 hours while fetching a fresh copy, or while next-hop fails (grace);
#   - the edge adds an X-Cache: HIT/MISS/PASS response header (after your vcl_deliver) so you can see what happened.

vcl 4.1;

import std;

backend default {
    .host = "next-hop";
    .port = "80";
    .connect_timeout = 5s;
    .first_byte_timeout = 60s;
    .between_bytes_timeout = 10s;
}

sub vcl_recv {
    # Remove a URL fragment (browsers do not send it, some clients do).
    set req.url = regsub(req.url, "#.*$", "");

    # Strip tracking parameters that never change the response, then tidy the separators left behind.
    if (req.url ~ "[?&](utm_[a-z_]+|gclid|gbraid|wbraid|dclid|fbclid|msclkid|yclid|mc_cid|mc_eid|_ga|_gl|_hsenc|_hsmi)=") {
        set req.url = regsuball(req.url, "([?&])(utm_[a-z_]+|gclid|gbraid|wbraid|dclid|fbclid|msclkid|yclid|mc_cid|mc_eid|_ga|_gl|_hsenc|_hsmi)=[^&]*", "\1");
        set req.url = regsuball(req.url, "([?&])&+", "\1");
        set req.url = regsub(req.url, "[?&]+$", "");
    }

    # One cache object per page, whatever the order of its query parameters.
    set req.url = std.querysort(req.url);

    # Only GET and HEAD are cacheable; everything else goes straight to next-hop.
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }

    # Personalised or authenticated requests are never served from (or stored in) the cache.
    if (req.http.Authorization || req.http.Cookie) {
        return (pass);
    }

    return (hash);
}

sub vcl_hash {
    # Keep http and https variants apart (an origin may redirect one to the other). The built-in vcl_hash then
    # adds the URL and the Host header.
    hash_data(req.http.X-Forwarded-Proto);
}

sub vcl_backend_response {
    # Grace: keep serving a stale copy for up to 6 hours while a fresh one is fetched in the background, or while
    # next-hop is failing. An origin that sends stale-while-revalidate decides for itself.
    if (!(beresp.http.Cache-Control ~ "stale-while-revalidate")) {
        set beresp.grace = 6h;
    }

    # A failed background refresh must not replace the stale copy with an error page.
    if (beresp.status >= 500 && bereq.is_bgfetch) {
        return (abandon);
    }

    # Do not keep server errors around.
    if (beresp.status >= 500) {
        set beresp.ttl = 0s;
        set beresp.grace = 0s;
        set beresp.uncacheable = true;
        return (deliver);
    }

    # Compress text responses that next-hop sent uncompressed.
    if (!beresp.http.Content-Encoding && beresp.http.Content-Type ~ "^(text/|application/(json|javascript|xml|manifest\+json)|image/svg\+xml)") {
        set beresp.do_gzip = true;
    }

    # Falls through to the built-in vcl_backend_response, which honours Cache-Control (private, no-store,
    # no-cache, max-age, s-maxage), Expires, Set-Cookie and Vary: *.
}

sub vcl_deliver {
    # Response headers for visitors can be set here. X-Cache is written by the edge after this subroutine.
    unset resp.http.Via;
}
