package meta

import (
	"context"
	"time"

	"github.com/opencontainers/go-digest"
)

// Repository is a repository with the totals the management API shows.
type Repository struct {
	ID          int64
	Name        string // full name, "team/app"
	Project     string // ProjectOf(Name)
	Description string
	// ArtifactCount counts the repository's top-level artifacts (see
	// Artifacts): manifests that are neither a child of an index nor a
	// referrer of a subject in the repository.
	ArtifactCount int64
	PullCount     int64 // pulls of all its manifests
	CreatedAt     time.Time
	// UpdatedAt is the time of the latest manifest push (CreatedAt when it
	// holds none).
	UpdatedAt time.Time
}

// ProjectScope limits a listing to some projects, as access.ProjectSet
// describes them: every project (All), every public one (Public), and the
// named ones. The zero value matches nothing. Repositories whose project has
// no record count as private.
type ProjectScope struct {
	All    bool
	Public bool
	Names  []string
}

// RepositorySort orders ListRepositoryRecords.
type RepositorySort string

// Repository orders; the "-" forms are descending. Ties go by name.
const (
	SortByName          RepositorySort = "name"
	SortByCreationTime  RepositorySort = "creation_time"
	SortByCreationDesc  RepositorySort = "-creation_time"
	SortByUpdateTime    RepositorySort = "update_time"
	SortByUpdateDesc    RepositorySort = "-update_time"
	SortByNameDesc      RepositorySort = "-name"
	SortByPullCountDesc RepositorySort = "-pull_count"
)

// RepositoryFilter narrows ListRepositoryRecords and CountRepositoryRecords.
// Only repositories holding at least one manifest are listed.
type RepositoryFilter struct {
	Project      string        // exact project name; "" for every project
	Scope        *ProjectScope // when set, only repositories of these projects
	Name         string        // exact full name
	NameContains string        // substring of the full name, case-sensitive
	Sort         RepositorySort
}

// ProjectUsage are the totals of one project.
type ProjectUsage struct {
	RepoCount int64 // repositories holding at least one manifest
	// StorageBytes is the size of the distinct blobs linked to the
	// project's repositories plus the size of its manifests.
	StorageBytes int64
}

// Repositories holds repository records for the management API. Repository
// rows are created by pushes (Blobs, Manifests); this interface reads them
// with totals, describes and deletes them.
type Repositories interface {
	// ListRepositoryRecords lists the repositories matching f, in f.Sort
	// order (name by default).
	ListRepositoryRecords(ctx context.Context, f RepositoryFilter, w Window) ([]Repository, error)
	// CountRepositoryRecords counts the repositories matching f.
	CountRepositoryRecords(ctx context.Context, f RepositoryFilter) (int64, error)
	// GetRepositoryRecord returns repository name with its totals, or
	// ErrNotFound if it has no row.
	GetRepositoryRecord(ctx context.Context, name string) (Repository, error)
	// SetRepositoryDescription changes the description of repository name.
	// ErrNotFound if it has no row.
	SetRepositoryDescription(ctx context.Context, name, description string) error
	// DeleteRepository deletes repository name with its manifests, tags,
	// pull statistics and blob links in one transaction, returning the
	// digests of the manifests it deleted; the blobs stay for garbage
	// collection. ErrNotFound if it has no row.
	DeleteRepository(ctx context.Context, name string) ([]digest.Digest, error)
	// RepositoryCounts returns, for each of the named projects, how many
	// repositories holding a manifest it has (absent projects: none), in
	// one query.
	RepositoryCounts(ctx context.Context, projects []string) (map[string]int64, error)
	// ProjectUsage returns the totals of the project called name (zero for
	// a project without repositories).
	ProjectUsage(ctx context.Context, name string) (ProjectUsage, error)
}

// ArtifactTag is a tag as the artifact listings show it.
type ArtifactTag struct {
	Name     string
	Digest   digest.Digest // the manifest it points at
	PushedAt time.Time     // when the tag was last set
}

// Artifact is a manifest of a repository with what the management API
// shows about it.
type Artifact struct {
	ID           int64
	RepositoryID int64
	Repository   string
	Digest       digest.Digest
	MediaType    string
	ArtifactType string
	Subject      digest.Digest
	Annotations  map[string]string
	Payload      []byte
	// ManifestSize is the size of the manifest itself; Size adds the
	// distinct blobs it references (config and layers) and, for an index,
	// the sizes of its child manifests and their blobs.
	ManifestSize int64
	Size         int64
	PushedAt     time.Time
	PulledAt     time.Time // zero if never pulled
	PullCount    int64
	Tags         []ArtifactTag // in name order; filled by the listing calls
}

// ArtifactSort orders ListArtifacts.
type ArtifactSort string

// Artifact orders; ties go by id (newest first).
const (
	SortByPushTimeDesc ArtifactSort = "-push_time" // the default
	SortByPushTime     ArtifactSort = "push_time"
	SortByPullTimeDesc ArtifactSort = "-pull_time"
	SortByPullTime     ArtifactSort = "pull_time"
	SortByDigest       ArtifactSort = "digest"
)

// ArtifactFilter narrows ListArtifacts and CountArtifacts. Without Digest
// only top-level artifacts are listed: manifests that are tagged, or that
// are neither a child of an index nor a referrer of a manifest in the same
// repository.
type ArtifactFilter struct {
	Digest      digest.Digest // exact digest (top-level or not)
	Tag         string        // has this tag
	TagContains string        // has a tag containing this, case-sensitive
	Tagged      *bool         // has at least one tag (true) or none (false)
	MediaType   string        // exact manifest media type
	Sort        ArtifactSort
}

// TagFilter narrows ListArtifactTags and CountArtifactTags.
type TagFilter struct {
	Name         string // exact tag name
	NameContains string
}

// Artifacts reads manifests with their tags and statistics and adds tags
// to stored manifests. Each listing is a constant number of queries, tags
// included.
type Artifacts interface {
	// ListArtifacts lists the artifacts of repo matching f, with their
	// tags, in f.Sort order. An unknown repository gives an empty list.
	ListArtifacts(ctx context.Context, repo string, f ArtifactFilter, w Window) ([]Artifact, error)
	// CountArtifacts counts the artifacts of repo matching f.
	CountArtifacts(ctx context.Context, repo string, f ArtifactFilter) (int64, error)
	// GetArtifact returns manifest d of repo with its tags, or ErrNotFound.
	GetArtifact(ctx context.Context, repo string, d digest.Digest) (Artifact, error)
	// ListChildArtifacts returns the stored children of index d in repo
	// (without tags), by digest. Children that are not stored are left out.
	ListChildArtifacts(ctx context.Context, repo string, d digest.Digest) ([]Artifact, error)
	// ListArtifactTags lists the tags of manifest d in repo matching f, by
	// name. An unknown manifest gives an empty list.
	ListArtifactTags(ctx context.Context, repo string, d digest.Digest, f TagFilter, w Window) ([]ArtifactTag, error)
	// CountArtifactTags counts the tags of manifest d in repo matching f.
	CountArtifactTags(ctx context.Context, repo string, d digest.Digest, f TagFilter) (int64, error)
	// AddTag points a new tag at the stored manifest d of repo.
	// ErrNotFound if repo holds no manifest d; ErrConflict if the tag
	// already exists (whatever it points at).
	AddTag(ctx context.Context, repo, tag string, d digest.Digest) error
}
