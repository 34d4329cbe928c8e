package inmemory_test

import (
	"testing"

	"github.com/berth-oci/berth/internal/blob/driver"
	"github.com/berth-oci/berth/internal/blob/driver/drivertest"
	"github.com/berth-oci/berth/internal/blob/driver/inmemory"
)

func TestConformance(t *testing.T) {
	drivertest.Run(t, func(t *testing.T) driver.Driver { return inmemory.New() })
}

func TestNotAMover(t *testing.T) {
	var d driver.Driver = inmemory.New()
	if _, ok := d.(driver.Mover); ok {
		t.Error("inmemory.Driver implements driver.Mover; it must not, so the no-rename path is tested")
	}
}
