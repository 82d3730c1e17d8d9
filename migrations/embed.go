// Package migrations holds the schema as SQL files, one folder per dialect,
// embedded in the binary and applied in file-name order.
package migrations

import "embed"

//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
