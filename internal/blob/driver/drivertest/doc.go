// Package drivertest is the conformance suite every driver.Driver runs:
// reads at offsets, append and resume after Close, Cancel, Commit, Delete,
// not-found errors, path validation, concurrent writers, and the optional
// Mover and Walker capabilities when the driver has them.
package drivertest
