package app

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// OpenAPI is the OpenAPI 3.1 document of the JSON API, served at
// /api/openapi.json. The app tests check that it describes every /api/v1
// route and that real answers match its schemas.
//
//go:embed openapi.json
var OpenAPI []byte

// mountOpenAPI serves the document, unauthenticated.
func mountOpenAPI(r gin.IRouter) {
	r.GET("/api/openapi.json", func(c *gin.Context) {
		c.Header("Cache-Control", "no-cache")
		c.Data(http.StatusOK, "application/json", OpenAPI)
	})
}
