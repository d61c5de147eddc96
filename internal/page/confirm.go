package page

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
)

// Confirmation is the step a destructive action (terminating an award,
// closing a tender, cancelling an order, …) takes before it is done: a
// page that says in full what will happen and a form that posts the action
// again with confirm=1. It needs no script: the first POST, which lacks
// confirm=1, draws this page (Engine.Confirm); the second does the action.
type Confirmation struct {
	// Title names the action about to be taken.
	Title apperr.Msg
	// Consequences say, one message each, what the action will do and
	// what it will not undo.
	Consequences []apperr.Msg
	// Action is the path the confirming form posts to, with Values (the
	// first POST's fields) and confirm=1.
	Action string
	Values url.Values
	// Button labels the confirming button; Back is the page that "keep as
	// it is" returns to.
	Button apperr.Msg
	Back   string
}

// Confirmed reports whether the posted form carries the confirmation of
// the confirmation page.
func Confirmed(f *Form) bool { return f.Value("confirm") == "1" }

// Confirm draws the confirmation page of cf (200). Values named confirm
// are dropped, so the page's own confirm=1 is the only one posted.
func (e *Engine) Confirm(c *gin.Context, cf Confirmation) {
	values := url.Values{}
	for k, vs := range cf.Values {
		if k != "confirm" {
			values[k] = vs
		}
	}
	cf.Values = values
	e.render(c, http.StatusOK, "confirm", cf, nil)
}
