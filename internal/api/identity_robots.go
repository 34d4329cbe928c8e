package api

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berth-oci/berth/internal/access"
	"github.com/berth-oci/berth/internal/auth/password"
	"github.com/berth-oci/berth/internal/meta"
)

func (a *API) robotRoutes() {
	a.handle("GET /robots", "robots_list", a.listRobots)
	a.handle("POST /robots", "robot_create", a.createRobot)
	a.handle("GET /robots/{robot_id}", "robot_get", a.getRobot)
	a.handle("PUT /robots/{robot_id}", "robot_update", a.updateRobot)
	a.handle("PATCH /robots/{robot_id}", "robot_refresh", a.refreshRobotSecret)
	a.handle("DELETE /robots/{robot_id}", "robot_delete", a.deleteRobot)
}

// Robot names, as Harbor builds them: "robot$<name>" for system robots,
// "robot$<project>+<name>" for project robots, where <name> is lower-case
// alphanumerics separated by single '.', '_' or '-'.
const (
	robotPrefix       = "robot$"
	maxRobotNameLen   = 255
	maxRobotDays      = 36500 // a hundred years: beyond that, use -1
	robotNeverExpires = -1
)

var robotNameRE = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

// robotPair maps one of Harbor's robot (resource, action) pairs to the Berth
// action that grants it. Several pairs share an action; reading a robot
// back lists every pair its actions grant.
type robotPair struct {
	resource, action string
	act              access.Action
}

// robotPairs is the mapping, in the order robots are shown.
var robotPairs = []robotPair{
	{"repository", "pull", access.ActionPull},
	{"repository", "push", access.ActionPush},
	{"repository", "delete", access.ActionDelete},
	{"artifact", "delete", access.ActionDelete},
	{"repository", "list", access.ActionList},
	{"artifact", "list", access.ActionList},
	{"tag", "list", access.ActionList},
	{"repository", "read", access.ActionRead},
	{"artifact", "read", access.ActionRead},
	{"repository", "update", access.ActionWrite},
	{"tag", "create", access.ActionWrite},
	{"tag", "delete", access.ActionWrite},
	{"scan", "create", access.ActionScan},
	{"scan", "stop", access.ActionScan},
}

// robotAccessJSON is Harbor's Access.
type robotAccessJSON struct {
	Resource string `json:"resource"`
	Action   string `json:"action"`
	Effect   string `json:"effect,omitempty"`
}

// robotPermissionJSON is Harbor's RobotPermission.
type robotPermissionJSON struct {
	Kind      string            `json:"kind"`
	Namespace string            `json:"namespace"`
	Access    []robotAccessJSON `json:"access"`
}

// robotJSON is Harbor's Robot. The secret is never in it: it is shown once,
// by POST /robots and PATCH /robots/{id}.
type robotJSON struct {
	ID           int64                 `json:"id"`
	Name         string                `json:"name"`
	Description  string                `json:"description"`
	Level        string                `json:"level"`
	Duration     int64                 `json:"duration"`
	Editable     bool                  `json:"editable"`
	Disable      bool                  `json:"disable"`
	ExpiresAt    int64                 `json:"expires_at"`
	Permissions  []robotPermissionJSON `json:"permissions"`
	CreationTime harborTime            `json:"creation_time"`
	UpdateTime   harborTime            `json:"update_time"`
}

// robotReq is Harbor's RobotCreate (POST) and Robot (PUT) as requests.
type robotReq struct {
	Name        string                `json:"name"`
	Description string                `json:"description"`
	Secret      string                `json:"secret"`
	Level       string                `json:"level"`
	Disable     bool                  `json:"disable"`
	Duration    int64                 `json:"duration"`
	Permissions []robotPermissionJSON `json:"permissions"`
}

// robotCreatedJSON is Harbor's RobotCreated.
type robotCreatedJSON struct {
	ID           int64      `json:"id"`
	Name         string     `json:"name"`
	Secret       string     `json:"secret"`
	CreationTime harborTime `json:"creation_time"`
	ExpiresAt    int64      `json:"expires_at"`
}

// robotSecJSON is Harbor's RobotSec.
type robotSecJSON struct {
	Secret string `json:"secret"`
}

func robotExpiresAt(t time.Time) int64 {
	if t.IsZero() {
		return robotNeverExpires
	}
	return t.Unix()
}

func robotOut(rb meta.Robot) robotJSON {
	out := robotJSON{
		ID: rb.ID, Name: rb.Name, Description: rb.Description, Level: string(rb.Level), Duration: robotNeverExpires,
		Editable: true, Disable: rb.Disabled, ExpiresAt: robotExpiresAt(rb.ExpiresAt),
		Permissions: []robotPermissionJSON{}, CreationTime: harborTime(rb.CreatedAt), UpdateTime: harborTime(rb.UpdatedAt),
	}
	if !rb.ExpiresAt.IsZero() {
		out.Duration = int64(rb.ExpiresAt.Sub(rb.CreatedAt).Round(24*time.Hour) / (24 * time.Hour))
	}
	for _, perm := range rb.Permissions {
		pj := robotPermissionJSON{Kind: "project", Namespace: perm.Project, Access: []robotAccessJSON{}}
		for _, act := range perm.Actions {
			pj.Access = append(pj.Access, harborPairs(access.Action(act))...)
		}
		out.Permissions = append(out.Permissions, pj)
	}
	return out
}

// harborPairs returns the Harbor pairs a stored action grants. An action
// with none (stored by something other than this API) is shown as it is.
func harborPairs(act access.Action) []robotAccessJSON {
	var out []robotAccessJSON
	for _, p := range robotPairs {
		if p.act == act {
			out = append(out, robotAccessJSON{Resource: p.resource, Action: p.action})
		}
	}
	if out == nil {
		res, a, ok := strings.Cut(string(act), ".")
		if !ok {
			res, a = "repository", string(act)
		}
		out = append(out, robotAccessJSON{Resource: res, Action: a})
	}
	return out
}

// robotActions maps a permission's Harbor pairs to Berth actions, in the
// order of access.Actions, without duplicates; an unknown pair is a 400.
func robotActions(perm robotPermissionJSON) ([]string, error) {
	granted := map[access.Action]bool{}
	for _, ac := range perm.Access {
		if ac.Effect != "" && ac.Effect != "allow" {
			return nil, badRequest("access effect %q is not supported (only allow)", ac.Effect)
		}
		i := slices.IndexFunc(robotPairs, func(p robotPair) bool { return p.resource == ac.Resource && p.action == ac.Action })
		if i < 0 {
			return nil, badRequest("robot permission %s:%s is not supported", ac.Resource, ac.Action)
		}
		granted[robotPairs[i].act] = true
	}
	if len(granted) == 0 {
		return nil, badRequest("robot permission on %q grants nothing", perm.Namespace)
	}
	var out []string
	for _, act := range access.Actions() {
		if granted[act] && act.RobotGrantable() {
			out = append(out, string(act))
		}
	}
	return out, nil
}

// robotPermissions converts and checks a request's permissions for a robot
// of the given level (owner is the project of a project robot). Named
// projects must exist; only system robots may use "*".
func (a *API) robotPermissions(ctx context.Context, level meta.RobotLevel, owner string, perms []robotPermissionJSON) ([]meta.RobotPermission, error) {
	if len(perms) == 0 {
		return nil, badRequest("permissions are required")
	}
	if level == meta.RobotProject && len(perms) != 1 {
		return nil, badRequest("a project robot has exactly one permission, on its project")
	}
	var out []meta.RobotPermission
	seen := map[string]bool{}
	for _, perm := range perms {
		if perm.Kind != "project" {
			return nil, badRequest("robot permission kind %q is not supported (only project)", perm.Kind)
		}
		switch {
		case perm.Namespace == "":
			return nil, badRequest("robot permission namespace is required")
		case seen[perm.Namespace]:
			return nil, badRequest("robot permissions name project %q twice", perm.Namespace)
		case level == meta.RobotProject && perm.Namespace != owner:
			return nil, badRequest("a robot of project %q has permissions only there, not on %q", owner, perm.Namespace)
		case perm.Namespace != meta.AllProjects:
			if _, err := a.store.GetProjectByName(ctx, perm.Namespace); err != nil {
				return nil, storeError(err, "project "+strconv.Quote(perm.Namespace))
			}
		}
		seen[perm.Namespace] = true
		acts, err := robotActions(perm)
		if err != nil {
			return nil, err
		}
		out = append(out, meta.RobotPermission{Project: perm.Namespace, Actions: acts})
	}
	return out, nil
}

// robotExpiry returns the expiry of a robot created at created for
// duration days; -1 and 0 mean never (zero time).
func robotExpiry(created time.Time, days int64) (time.Time, error) {
	switch {
	case days == robotNeverExpires || days == 0:
		return time.Time{}, nil
	case days < 0 || days > maxRobotDays:
		return time.Time{}, badRequest("duration must be -1 (never expires) or 1 to %d days", maxRobotDays)
	}
	return created.Add(time.Duration(days) * 24 * time.Hour), nil
}

// robotOwner returns the project robots at level with permissions perms
// belong to (a project robot's only permission names it): zero for system
// robots. It authorizes the caller to manage such robots: system admins for
// system robots, robot.write on the project for project robots.
func (a *API) robotOwner(r *http.Request, level string, perms []robotPermissionJSON) (meta.Project, error) {
	switch meta.RobotLevel(level) {
	case meta.RobotSystem:
		return meta.Project{}, a.authorize(r, access.ActionUserWrite, access.Resource{})
	case meta.RobotProject:
	default:
		return meta.Project{}, badRequest("level must be %q or %q", meta.RobotSystem, meta.RobotProject)
	}
	if len(perms) != 1 || perms[0].Namespace == "" || perms[0].Namespace == meta.AllProjects {
		return meta.Project{}, badRequest("a project robot has exactly one permission, naming its project")
	}
	p, err := a.store.GetProjectByName(r.Context(), perms[0].Namespace)
	return a.visibleProject(r, p, err, "project "+strconv.Quote(perms[0].Namespace), access.ActionRobotWrite)
}

// createRobot is POST /robots.
func (a *API) createRobot(w http.ResponseWriter, r *http.Request) error {
	if caller(r).Anonymous() {
		return newError(http.StatusUnauthorized, CodeUnauthorized, "authentication required")
	}
	var req robotReq
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	owner, err := a.robotOwner(r, req.Level, req.Permissions)
	if err != nil {
		return err
	}
	if !robotNameRE.MatchString(req.Name) {
		return badRequest("robot name %q must be lower-case letters and digits, separated by single '.', '_' or '-'", req.Name)
	}
	name := robotPrefix + req.Name
	if owner.ID != 0 {
		name = robotPrefix + owner.Name + "+" + req.Name
	}
	if len(name) > maxRobotNameLen {
		return badRequest("robot name %q is over %d characters", name, maxRobotNameLen)
	}
	perms, err := a.robotPermissions(r.Context(), meta.RobotLevel(req.Level), owner.Name, req.Permissions)
	if err != nil {
		return err
	}
	now := a.now()
	expires, err := robotExpiry(now, req.Duration)
	if err != nil {
		return err
	}
	secret, hash, err := newRobotSecret(req.Secret)
	if err != nil {
		return err
	}
	rb, err := a.store.CreateRobot(r.Context(), meta.Robot{
		Name: name, Level: meta.RobotLevel(req.Level), ProjectID: owner.ID, SecretHash: hash,
		Description: req.Description, Disabled: req.Disable, ExpiresAt: expires,
		CreatedBy: caller(r).Principal.Name, Permissions: perms,
	})
	if err != nil {
		return storeError(err, "robot "+strconv.Quote(name))
	}
	a.audit(r, meta.AuditEvent{Operation: meta.OpRobotCreate, ResourceType: "robot", Resource: rb.Name, Project: owner.Name})
	w.Header().Set("Location", Prefix+"/robots/"+strconv.FormatInt(rb.ID, 10))
	writeJSON(w, http.StatusCreated, robotCreatedJSON{
		ID: rb.ID, Name: rb.Name, Secret: secret, CreationTime: harborTime(rb.CreatedAt), ExpiresAt: robotExpiresAt(rb.ExpiresAt),
	})
	return nil
}

// newRobotSecret returns the secret to use (given, if it meets the
// password policy, or generated when given is empty) and its hash.
func newRobotSecret(given string) (secret, hash string, err error) {
	secret = given
	if secret == "" {
		secret = password.GenerateSecret()
	} else if err := checkPasswordPolicy("secret", secret); err != nil {
		return "", "", err
	}
	hash, err = password.Hash(secret)
	return secret, hash, err
}

// robot loads robot {robot_id} and authorizes the caller: system robots
// need act on users (system admins); project robots the project action
// (robot.read or robot.write) on their project.
func (a *API) robot(r *http.Request, write bool) (meta.Robot, error) {
	id, err := pathID(r, "robot_id")
	if err != nil {
		return meta.Robot{}, err
	}
	if caller(r).Anonymous() {
		return meta.Robot{}, newError(http.StatusUnauthorized, CodeUnauthorized, "authentication required")
	}
	rb, err := a.store.GetRobot(r.Context(), id)
	if err != nil {
		return meta.Robot{}, storeError(err, "robot "+strconv.FormatInt(id, 10))
	}
	if rb.Level == meta.RobotSystem {
		act := access.ActionUserRead
		if write {
			act = access.ActionUserWrite
		}
		return rb, a.authorize(r, act, access.Resource{})
	}
	act := access.ActionRobotRead
	if write {
		act = access.ActionRobotWrite
	}
	// A robot of a project the caller may not read is as missing as the
	// project: its name would tell the project's.
	p, err := a.store.GetProject(r.Context(), rb.ProjectID)
	if _, err := a.visibleProject(r, p, err, "robot "+strconv.FormatInt(id, 10), act); err != nil {
		return meta.Robot{}, err
	}
	return rb, nil
}

// getRobot is GET /robots/{robot_id}.
func (a *API) getRobot(w http.ResponseWriter, r *http.Request) error {
	rb, err := a.robot(r, false)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, robotOut(rb))
	return nil
}

// updateRobot is PUT /robots/{robot_id}: description, disable, duration
// (from the creation time, as Harbor counts it) and permissions; the name
// and level cannot change.
func (a *API) updateRobot(w http.ResponseWriter, r *http.Request) error {
	rb, err := a.robot(r, true)
	if err != nil {
		return err
	}
	var req robotReq
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Name != "" && req.Name != rb.Name {
		return badRequest("a robot's name cannot change")
	}
	if req.Level != "" && req.Level != string(rb.Level) {
		return badRequest("a robot's level cannot change")
	}
	if req.Secret != "" {
		return badRequest("change a robot's secret with PATCH /robots/%d", rb.ID)
	}
	perms, err := a.robotPermissions(r.Context(), rb.Level, rb.ProjectName, req.Permissions)
	if err != nil {
		return err
	}
	expires, err := robotExpiry(rb.CreatedAt, req.Duration)
	if err != nil {
		return err
	}
	rb.Description, rb.Disabled, rb.ExpiresAt, rb.Permissions = req.Description, req.Disable, expires, perms
	if _, err := a.store.UpdateRobot(r.Context(), rb); err != nil {
		return storeError(err, "robot "+rb.Name)
	}
	a.audit(r, meta.AuditEvent{Operation: meta.OpRobotUpdate, ResourceType: "robot", Resource: rb.Name, Project: rb.ProjectName})
	w.WriteHeader(http.StatusOK)
	return nil
}

// refreshRobotSecret is PATCH /robots/{robot_id}: sets the given secret
// (which must meet the password policy) or, with an empty body or secret,
// generates one; the answer shows it once.
func (a *API) refreshRobotSecret(w http.ResponseWriter, r *http.Request) error {
	rb, err := a.robot(r, true)
	if err != nil {
		return err
	}
	var req robotSecJSON
	if err := decodeOptionalJSON(w, r, &req); err != nil {
		return err
	}
	secret, hash, err := newRobotSecret(req.Secret)
	if err != nil {
		return err
	}
	if err := a.store.SetRobotSecret(r.Context(), rb.ID, hash); err != nil {
		return storeError(err, "robot "+rb.Name)
	}
	a.audit(r, meta.AuditEvent{Operation: meta.OpRobotUpdate, ResourceType: "robot", Resource: rb.Name,
		Project: rb.ProjectName, Detail: map[string]string{"secret": "refreshed"}})
	writeJSON(w, http.StatusOK, robotSecJSON{Secret: secret})
	return nil
}

// decodeOptionalJSON is decodeJSON for a body that may be empty (leaving v
// as it is).
func decodeOptionalJSON(w http.ResponseWriter, r *http.Request, v any) error {
	br := bufio.NewReader(r.Body)
	for {
		b, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return badRequest("read body: %v", err)
		}
		if !strings.ContainsRune(" \t\r\n", rune(b)) {
			_ = br.UnreadByte()
			break
		}
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{br, r.Body}
	return decodeJSON(w, r, v)
}

// deleteRobot is DELETE /robots/{robot_id}.
func (a *API) deleteRobot(w http.ResponseWriter, r *http.Request) error {
	rb, err := a.robot(r, true)
	if err != nil {
		return err
	}
	if err := a.store.DeleteRobot(r.Context(), rb.ID); err != nil {
		return storeError(err, "robot "+rb.Name)
	}
	a.audit(r, meta.AuditEvent{Operation: meta.OpRobotDelete, ResourceType: "robot", Resource: rb.Name, Project: rb.ProjectName})
	w.WriteHeader(http.StatusOK)
	return nil
}

// listRobots is GET /robots: system admins see every robot; others the
// robots of the projects where they have robot.read, in one query. q takes
// Level, ProjectID (as Harbor's UI sends them) and name (a part of the
// name).
func (a *API) listRobots(w http.ResponseWriter, r *http.Request) error {
	if caller(r).Anonymous() {
		return newError(http.StatusUnauthorized, CodeUnauthorized, "authentication required")
	}
	f, err := robotFilter(r)
	if err != nil {
		return err
	}
	if f, err = a.robotListScope(r, f); err != nil {
		return err
	}
	return servePage(w, r,
		func(ctx context.Context) (int64, error) { return a.store.CountRobots(ctx, f) },
		func(ctx context.Context, win meta.Window) ([]meta.Robot, error) {
			return a.store.ListRobots(ctx, f, win)
		},
		robotOut)
}

// robotFilter reads GET /robots' q and sort.
func robotFilter(r *http.Request) (meta.RobotFilter, error) {
	var f meta.RobotFilter
	q, err := parseQuery(r, "Level", "ProjectID", "name")
	if err != nil {
		return f, err
	}
	if err := checkSort(r, "name"); err != nil {
		return f, err
	}
	for k, t := range q {
		if t.Match != MatchExact && !(k == "name" && t.Match == MatchFuzzy) {
			return f, badRequest("q %s must be an exact value", k)
		}
	}
	if t, ok := q["Level"]; ok {
		f.Level = meta.RobotLevel(t.Value)
		if f.Level != meta.RobotSystem && f.Level != meta.RobotProject {
			return f, badRequest("q Level must be %q or %q", meta.RobotSystem, meta.RobotProject)
		}
	}
	if t, ok := q["ProjectID"]; ok {
		id, err := strconv.ParseInt(t.Value, 10, 64)
		if err != nil || id <= 0 {
			return f, badRequest("q ProjectID must be a positive integer")
		}
		f.ProjectID = id
	}
	if t, ok := q["name"]; ok {
		f.NameContains = t.Value // name=x and name=~x both match a part of the name
	}
	return f, nil
}

// robotListScope narrows a robot listing's filter to what the caller may
// see.
func (a *API) robotListScope(r *http.Request, f meta.RobotFilter) (meta.RobotFilter, error) {
	c := caller(r).Principal
	if a.eval.Allowed(c, access.ActionUserRead, access.Resource{}, a.now()) {
		return f, nil // a system admin
	}
	if f.Level == meta.RobotSystem {
		return f, newError(http.StatusForbidden, CodeForbidden, "only system admins see system robots")
	}
	f.Level = meta.RobotProject
	if f.ProjectID != 0 {
		p, err := a.store.GetProject(r.Context(), f.ProjectID)
		_, err = a.visibleProject(r, p, err, fmt.Sprintf("project %d", f.ProjectID), access.ActionRobotRead)
		return f, err
	}
	set := a.eval.Projects(c, access.ActionRobotRead, a.now())
	if set.All {
		return f, nil
	}
	ps, err := a.projectsIn(r.Context(), set)
	if err != nil {
		return f, err
	}
	f.ProjectIDs = make([]int64, 0, len(ps))
	for _, p := range ps {
		f.ProjectIDs = append(f.ProjectIDs, p.ID)
	}
	return f, nil
}
