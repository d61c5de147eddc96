package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/klauspost/compress/gzhttp"
)

// compressible are the answers worth compressing: pages, JSON and problem
// documents, style sheets, scripts, SVG and text exports. Spreadsheets and
// images are compressed already.
var compressible = []string{
	"text/html", "application/json", "application/problem+json", "text/css", "text/javascript",
	"application/javascript", "image/svg+xml", "text/csv", "text/plain",
}

// Compress compresses answers of the compressible types with gzip or
// zstd, as the client's Accept-Encoding prefers (klauspost/compress
// gzhttp): it adds Vary: Accept-Encoding to every answer, leaves bodies
// under 1 KiB, bodiless answers (204, 304) and ranges as they are, and drops
// the Content-Length of what it compresses. It must run outside Recover, so
// that a recovered panic's problem goes through it.
func Compress() gin.HandlerFunc {
	wrap, err := gzhttp.NewWrapper(gzhttp.ContentTypes(compressible))
	if err != nil {
		panic(err)
	}
	return func(c *gin.Context) {
		orig := c.Writer
		defer func() { c.Writer = orig }()
		wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			c.Writer = &compressWriter{ResponseWriter: orig, w: w}
			c.Next()
		})).ServeHTTP(orig, c.Request)
	}
}

// compressWriter writes the body through the compressor w and keeps the
// rest of gin's writer (status, size, hijacking).
type compressWriter struct {
	gin.ResponseWriter
	w http.ResponseWriter
}

func (cw *compressWriter) Header() http.Header { return cw.w.Header() }

func (cw *compressWriter) WriteHeader(code int) {
	cw.ResponseWriter.WriteHeader(code) // records the status for Status()
	cw.w.WriteHeader(code)
}

func (cw *compressWriter) Write(b []byte) (int, error) { return cw.w.Write(b) }

func (cw *compressWriter) WriteString(s string) (int, error) { return cw.w.Write([]byte(s)) }

func (cw *compressWriter) Flush() {
	if f, ok := cw.w.(http.Flusher); ok {
		f.Flush()
	}
}
