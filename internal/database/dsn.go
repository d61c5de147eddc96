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
// binary, so a store sends JSON for a jsonb column as a string. It adds
// disable_prepared_binary_result=yes too, so that a statement the cache
// (statements.go) prepared returns its values in text like an unnamed one.
func DSN(url string) string {
	for _, k := range []string{"binary_parameters", "disable_prepared_binary_result"} {
		url = withParam(url, k)
	}
	return url
}

// withParam is url with lib/pq's setting key set to yes, unless url sets it.
func withParam(url, key string) string {
	if strings.Contains(url, key) {
		return url
	}
	if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
		return strings.TrimSpace(url + " " + key + "=yes")
	}
	u, err := neturl.Parse(url)
	if err != nil {
		return url
	}
	q := u.Query()
	q.Set(key, "yes")
	u.RawQuery = q.Encode()
	return u.String()
}
