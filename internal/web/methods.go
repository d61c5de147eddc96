package web

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

// headKey marks, in the request context, a HEAD request served by its GET
// route.
type headKey struct{}

// Method is the method the client sent: HEAD for a HEAD request that its
// GET route serves.
func Method(c *gin.Context) string {
	if c.Request.Context().Value(headKey{}) != nil {
		return http.MethodHead
	}
	return c.Request.Method
}

// Router routes a request context again and lists its routes; *gin.Engine
// is one.
type Router interface {
	HandleContext(c *gin.Context)
	Routes() gin.RoutesInfo
}

// Methods gives every route the methods RFC 9110 implies without a handler
// of its own. It must be the engine's first middleware.
//
// Gin has no route for HEAD or OPTIONS, so such a request reaches the
// NoMethod (or NoRoute) handlers, where this runs first: HEAD is routed
// again as GET, through the GET route's whole chain (net/http sends the
// headers and drops the body, so both answers carry the same headers);
// the Allow header of a 405 and of OPTIONS lists the methods of every route
// whose pattern matches the path, with HEAD where GET is, and OPTIONS. (Gin
// decides that a path is known, but the Allow list it builds may name a
// method of another path: it carries the state of one method tree's search
// into the next.)
func Methods(e Router) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.FullPath() != "" {
			c.Next()
			return
		}
		h := c.Writer.Header()
		if allow := h.Get("Allow"); allow != "" {
			if routed := methodsFor(e.Routes(), c.Request.URL.Path); len(routed) > 0 {
				allow = strings.Join(routed, ",")
			}
			h.Set("Allow", fullAllow(allow))
		}
		if c.Request.Method != http.MethodHead {
			c.Next()
			return
		}
		get := c.Request.Clone(context.WithValue(c.Request.Context(), headKey{}, true))
		get.Method = http.MethodGet
		h.Del("Allow")
		c.Status(http.StatusOK)
		c.Request = get
		e.HandleContext(c)
		c.Abort()
	}
}

// Options answers OPTIONS on a known path: 204 with the Allow header that
// Methods completed. An unknown path goes on to the 404.
func Options() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Method == http.MethodOptions && c.FullPath() == "" && c.Writer.Header().Get("Allow") != "" {
			c.AbortWithStatus(http.StatusNoContent)
			return
		}
		c.Next()
	}
}

// methodsFor lists the methods of the routes whose pattern matches path.
func methodsFor(routes gin.RoutesInfo, path string) []string {
	var ms []string
	for _, r := range routes {
		if patternMatches(r.Path, path) && !slices.Contains(ms, r.Method) {
			ms = append(ms, r.Method)
		}
	}
	return ms
}

// patternMatches reports whether a gin route pattern matches path: a
// :param takes one non-empty segment, a *param the rest.
func patternMatches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	for i, p := range ps {
		if strings.HasPrefix(p, "*") {
			return true
		}
		if i >= len(xs) || (p != xs[i] && (!strings.HasPrefix(p, ":") || xs[i] == "")) {
			return false
		}
	}
	return len(ps) == len(xs)
}

// methodOrder is the order Allow lists methods in.
var methodOrder = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions}

// fullAllow adds HEAD (where GET is allowed) and OPTIONS to gin's list of
// the methods a path takes.
func fullAllow(allow string) string {
	var ms []string
	for m := range strings.SplitSeq(allow, ",") {
		if m = strings.TrimSpace(m); m != "" && !slices.Contains(ms, m) {
			ms = append(ms, m)
		}
	}
	if slices.Contains(ms, http.MethodGet) && !slices.Contains(ms, http.MethodHead) {
		ms = append(ms, http.MethodHead)
	}
	if !slices.Contains(ms, http.MethodOptions) {
		ms = append(ms, http.MethodOptions)
	}
	rank := func(m string) int {
		if i := slices.Index(methodOrder, m); i >= 0 {
			return i
		}
		return len(methodOrder)
	}
	slices.SortStableFunc(ms, func(a, b string) int { return rank(a) - rank(b) })
	return strings.Join(ms, ", ")
}
