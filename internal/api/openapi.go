package api

import "net/http"

// openapi serves the OpenAPI document of this API.
func (a *API) openapi(w http.ResponseWriter, r *http.Request) error {
	return notFound("not yet")
}
