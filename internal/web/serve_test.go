package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
)

func TestServe(t *testing.T) {
	gin.SetMode(gin.TestMode)
	for _, tc := range []struct {
		name        string
		status      int
		body        any
		err         error
		wantCode    int
		wantType    string
		wantBodyHas string
	}{
		{"JSON", http.StatusCreated, map[string]int{"id": 7}, nil, http.StatusCreated, "application/json; charset=utf-8", `{"id":7}`},
		{"StatusOnly", http.StatusNoContent, nil, nil, http.StatusNoContent, "", ""},
		{"Error", http.StatusOK, map[string]int{"id": 7}, apperr.NotFound("not_found.tender"), http.StatusNotFound, "application/problem+json", `"detail":"tender not found"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := gin.New()
			r.GET("/", Serve(func(c *gin.Context) (int, any, error) { return tc.status, tc.body, tc.err }))
			w := httptest.NewRecorder()
			r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
			if w.Code != tc.wantCode {
				t.Fatalf("status %d, want %d", w.Code, tc.wantCode)
			}
			if got := w.Header().Get("Content-Type"); got != tc.wantType {
				t.Errorf("Content-Type %q, want %q", got, tc.wantType)
			}
			if tc.wantBodyHas == "" && w.Body.Len() > 0 {
				t.Errorf("body %q, want none", w.Body.String())
			}
			if !strings.Contains(w.Body.String(), tc.wantBodyHas) {
				t.Errorf("body %s lacks %s", w.Body.String(), tc.wantBodyHas)
			}
		})
	}
}
