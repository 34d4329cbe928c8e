// Package password stores and checks the secrets Berth accepts from people
// and robots: user passwords, robot secrets and htpasswd entries.
//
// Secrets are hashed at rest with argon2id and encoded in the PHC string
// format:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// with unpadded standard base64 for salt and hash, as the reference
// implementation and most libraries write it. Verify also accepts bcrypt
// hashes ($2a$, $2b$, $2y$), so users imported from an htpasswd file or an
// older store keep working; NeedsRehash reports them (and argon2id hashes
// made with other parameters) so the caller can re-hash on the next
// successful login, while it holds the plaintext.
//
// Every comparison is constant-time: argon2id hashes are compared with
// crypto/subtle, bcrypt compares internally in constant time, and Htpasswd
// checks a dummy hash for unknown users so the response time does not reveal
// which users exist.
//
// Hashing is deliberately expensive in CPU and memory, so a Hasher bounds how
// many hashes run at once, and a Limiter slows down repeated failed logins per
// (username, client address) pair and per address.
package password
