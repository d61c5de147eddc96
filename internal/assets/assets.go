// Package assets serves the static files (style sheet, script, images)
// under names that carry a hash of their content: madaf.css is linked as
// /static/madaf.3f2a9c1e5b7d0a42.css, which browsers may keep for a year
// since a new content is a new name.
package assets

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
)

// Prefix is the path the files are served under.
const Prefix = "/static/"

// Files is a fingerprinted tree of files, read once; it is safe for
// concurrent use.
type Files struct {
	fsys fs.FS
	// hashed maps a file's name to its fingerprinted name; files maps both
	// names to the file's name and its entity tag.
	hashed map[string]string
	files  map[string]file
}

type file struct {
	name, etag string
	immutable  bool
}

// New fingerprints every file of fsys with the SHA-256 of its content.
func New(fsys fs.FS) (*Files, error) {
	f := &Files{fsys: fsys, hashed: map[string]string{}, files: map[string]file{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		hash := hex.EncodeToString(sum[:8])
		hashed := withHash(name, hash)
		f.hashed[name] = hashed
		f.files[name] = file{name: name, etag: `"` + hash + `"`}
		f.files[hashed] = file{name: name, etag: `"` + hash + `"`, immutable: true}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("assets: %w", err)
	}
	return f, nil
}

// withHash puts hash before the extension: css/madaf.css → css/madaf.<hash>.css.
func withHash(name, hash string) string {
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hash + ext
}

// Path is the URL of the file called name (relative to the tree), under
// its fingerprinted name; a name that is no file keeps its name, so that a
// page shows a broken link rather than failing.
func (f *Files) Path(name string) string {
	if h, ok := f.hashed[name]; ok {
		return Prefix + h
	}
	return Prefix + name
}

// Serve answers GET /static/*file: a fingerprinted name with
// Cache-Control: public, max-age=31536000, immutable; the plain name (for
// links from outside the pages) with no-cache. Both carry the content hash
// as ETag, so a matching If-None-Match is answered 304, and ranges and HEAD
// are answered as http.ServeContent does. A directory or an unknown name
// is not found: no listing.
func (f *Files) Serve(c *gin.Context) error {
	file, ok := f.files[strings.TrimPrefix(c.Param("file"), "/")]
	if !ok {
		return apperr.NotFound("not_found.resource")
	}
	h := c.Writer.Header()
	h.Set("ETag", file.etag)
	if file.immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeFileFS(c.Writer, c.Request, f.fsys, file.name)
	return nil
}
