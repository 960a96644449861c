# sourceDate src -> the time stamp of everything the flake writes (image annotations and
# layers, release archives), in seconds since the Unix epoch: the source's `lastModified`
# where Nix gives one (a flake's `self`, a git or path input), else 1980-01-01T00:00:00Z
# (315532800), the earliest date a zip entry can hold. The CLI follows the same rule
# (src/archive.rs), where SOURCE_DATE_EPOCH and the last commit's time take lastModified's place.
#   sourceDate self
{}:
src: if src != null && src ? lastModified then src.lastModified else 315532800
