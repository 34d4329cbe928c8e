package api

// contentRoutes registers projects, repositories, artifacts, tags, search,
// systeminfo, health and ping.
func (a *API) contentRoutes() {}
