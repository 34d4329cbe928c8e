package api

// identityRoutes registers users, members, robots, audit logs and personal
// access tokens.
func (a *API) identityRoutes() {}
