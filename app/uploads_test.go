package app

import (
	"strings"
	"testing"

	"madaf/internal/dbtest"
	"madaf/internal/server"
)

// TestUploadRoutesTakeDocuments: every route that takes a document (a
// POST to …/documents) has the upload body limit, and every route of
// server.Uploads exists, so that a new owner of documents cannot keep the
// 1 MiB limit of the other routes by oversight.
func TestUploadRoutesTakeDocuments(t *testing.T) {
	h := New(dbtest.New(t), Config{}).Engine
	routes := map[string]bool{}
	for _, r := range h.Routes() {
		key := r.Method + " " + r.Path
		routes[key] = true
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/documents") {
			if _, ok := server.Uploads[key]; !ok {
				t.Errorf("%s takes documents but has no upload limit in server.Uploads", key)
			}
		}
	}
	for key := range server.Uploads {
		if !routes[key] {
			t.Errorf("server.Uploads names %s, which is no route", key)
		}
	}
}
