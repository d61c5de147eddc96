package database

import (
	neturl "net/url"
	"strings"
)

// DSN returns the connection string Open connects with for url (a
// postgres:// URL or key=value pairs): url with lib/pq's
// binary_parameters=yes, unless url sets it itself. With it the driver
// sends a statement with parameters in one round trip (parse, bind and
// execute together) instead of two (it would otherwise first ask the
// server for the parameters' types); []byte parameters then travel in
// binary, so a store sends JSON for a jsonb column as a string.
func DSN(url string) string {
	if strings.Contains(url, "binary_parameters") {
		return url
	}
	if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
		return strings.TrimSpace(url + " binary_parameters=yes")
	}
	u, err := neturl.Parse(url)
	if err != nil {
		return url
	}
	q := u.Query()
	q.Set("binary_parameters", "yes")
	u.RawQuery = q.Encode()
	return u.String()
}
