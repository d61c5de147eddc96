package auth

// NewOneTimeSecret returns a random URL-safe secret (32 random bytes) and
// its SHA-256, which is all the database keeps: the secret of a link or a
// step that is good once.
func NewOneTimeSecret() (secret string, hash []byte) { return newSecret("") }

// HashSecret is the SHA-256 under which a secret of NewOneTimeSecret (or a
// session's) is stored.
func HashSecret(secret string) []byte { return hashSecret(secret) }
