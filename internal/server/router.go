package server

import (
	"github.com/gin-gonic/gin"

	"madaf/internal/page"
)

// Router is where a feature mounts its routes: its JSON API under API
// (/api/v1, the caller read from a session or a token) and its pages on
// Site, drawn by Pages. A test may leave out either part: no Pages mounts
// the API alone, no API the pages alone.
type Router struct {
	API   *gin.RouterGroup
	Site  gin.IRouter
	Pages *page.Engine
}

// Feature is every feature's route table: one Mount that adds all of the
// feature's routes to r.
type Feature interface {
	Mount(r Router)
}
