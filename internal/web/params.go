package web

import (
	"strconv"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/paging"
)

// ParamID reads a numeric path parameter; anything that is not a positive
// id answers 404 with the message key notFound, as a missing id would.
func ParamID(c *gin.Context, name, notFound string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.NotFound(notFound)
	}
	return id, nil
}

// ParsePage reads ?limit= (1–200, default 50) and ?cursor=.
func ParsePage(c *gin.Context) (paging.Page, error) {
	return paging.Parse(c.Query("limit"), c.Query("cursor"))
}

// FieldInvalid is a 422 naming one field of the query or body, with the
// message key and its arguments.
func FieldInvalid(field, key string, args ...any) error {
	return apperr.Invalid("error.invalid_fields", apperr.Field(field, key, args...))
}
