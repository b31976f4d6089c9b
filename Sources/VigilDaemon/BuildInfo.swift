import CVigilVersion

/// What this binary is: `vigil --version`, the head of `vigil status`, vigil_build_info.
public enum BuildInfo {
    /// From git at build time (`0.1.COMMITS+gHASH`), or "unknown" for a build outside make.
    public static let version = String(cString: vigil_version())
}
