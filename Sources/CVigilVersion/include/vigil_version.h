#ifndef VIGIL_VERSION_H
#define VIGIL_VERSION_H

/// The version this binary was built as: the Makefile passes it from git (VIGIL_VERSION in
/// the environment of `swift build`, read by Package.swift).
const char *vigil_version(void);

#endif
