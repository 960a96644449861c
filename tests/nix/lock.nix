# Level-1 cases: what the flake takes from a toolchain lock (tests/fixtures/toolchain, made
# by `crossflake toolchain lock` from the cut 1.95.0 channel manifest beside it).
{ lockedSources, lockCheck, ... }:
let
  lock = builtins.fromTOML (builtins.readFile ../fixtures/toolchain/rust-toolchain.lock.toml);
  toolchain = (builtins.fromTOML (builtins.readFile ../fixtures/toolchain/rust-toolchain.toml)).toolchain;
  dist = "https://static.rust-lang.org/dist/2026-04-16";
  sources = host: lockedSources { inherit lock host; components = toolchain.components; targets = toolchain.targets; };
in
[
  {
    name = "aarch64-apple-darwin host: cargo, renamed rustfmt, rust-src from \"*\", a target's rust-std";
    expr = let s = sources "aarch64-apple-darwin"; in {
      inherit (s) cargo rust-src;
      rust-std-wasm32-wasip1 = s.rust-std-wasm32-wasip1;
    };
    expected = {
      cargo = { url = "${dist}/cargo-1.95.0-aarch64-apple-darwin.tar.gz"; hash = "0421d71bd676f0d38e318bf3eb7cd1a9ca33cf5ccf70f49644950a91fa046de7"; };
      rust-src = { url = "${dist}/rust-src-1.95.0.tar.gz"; hash = "98548815569318eb60afe7189ace6bca4ba6e4ae59a54f111d276ab78d6ddd10"; };
      rust-std-wasm32-wasip1 = { url = "${dist}/rust-std-1.95.0-wasm32-wasip1.tar.gz"; hash = "ddee2aad61c73cededcaef2a8063dd8727074e0f4980d6f3a01e8cdba1bb5d3b"; };
    };
  }
  {
    name = "x86_64-unknown-linux-gnu host: rustfmt through renames, musl rust-std";
    expr = let s = sources "x86_64-unknown-linux-gnu"; in [ s.rustfmt-preview s.rust-std-aarch64-unknown-linux-musl ];
    expected = [
      { url = "${dist}/rustfmt-1.95.0-x86_64-unknown-linux-gnu.tar.gz"; hash = "6d3e64adc505ad4bef6935f6e6f5e4c6956d9782607fb8394df3a5d2b30d2733"; }
      { url = "${dist}/rust-std-1.95.0-aarch64-unknown-linux-musl.tar.gz"; hash = "03fd4be4c4a504cc7d14482b1f1563807b08dfb037f776526d58be7f5dca4b59"; }
    ];
  }
  {
    name = "aarch64-unknown-linux-gnu clippy, x86_64-apple-darwin rustc";
    expr = [ (sources "aarch64-unknown-linux-gnu").clippy-preview (sources "x86_64-apple-darwin").rustc ];
    expected = [
      { url = "${dist}/clippy-1.95.0-aarch64-unknown-linux-gnu.tar.gz"; hash = "84480abfbfed89616b1e0b35acb9db84766f0353b671766638084f4e9b1d1143"; }
      { url = "${dist}/rustc-1.95.0-x86_64-apple-darwin.tar.gz"; hash = "fc42cfed68f510ac1f251dbfcf66d7f95097a9d25ff462186da58148616066d3"; }
    ];
  }
  {
    name = "every host gets every piece";
    expr = map (h: builtins.attrNames (sources h)) [ "x86_64-unknown-linux-gnu" "aarch64-unknown-linux-gnu" "x86_64-apple-darwin" "aarch64-apple-darwin" ];
    expected = builtins.genList (_: [ "cargo" "clippy-preview" "rust-src" "rust-std-aarch64-unknown-linux-musl" "rust-std-wasm32-wasip1" "rust-std-x86_64-unknown-linux-musl" "rustc" "rustfmt-preview" ]) 4;
  }
  { name = "a target the lock lacks throws"; expr = (lockedSources { inherit lock; host = "x86_64-unknown-linux-gnu"; targets = [ "riscv64gc-unknown-linux-musl" ]; }).rust-std-riscv64gc-unknown-linux-musl; expected = { throws = "crossflake: rust-toolchain.lock.toml has no rust-std for riscv64gc-unknown-linux-musl; run `crossflake toolchain lock`"; }; }
  { name = "a host the lock does not cover throws"; expr = (sources "i686-unknown-linux-gnu").cargo; expected = { throws = "crossflake: rust-toolchain.lock.toml has no toolchain for host i686-unknown-linux-gnu: it covers x86_64-unknown-linux-gnu, aarch64-unknown-linux-gnu, x86_64-apple-darwin, aarch64-apple-darwin."; }; }
  { name = "its second line says why and what to run"; expr = (sources "i686-unknown-linux-gnu").cargo; expected = { throws = "Either its channel (1.95.0, 2026-04-16) has no rustc or no cargo for i686-unknown-linux-gnu, which `crossflake toolchain lock` then leaves out: build on a covered host, or choose a channel in rust-toolchain.toml that has one; or the lock was made without i686-unknown-linux-gnu: run `crossflake toolchain lock`."; }; }
  { name = "a host the lock left out throws"; expr = (lockedSources { lock = lock // { crossflake = lock.crossflake // { hosts = [ "x86_64-unknown-linux-gnu" ]; }; }; host = "aarch64-apple-darwin"; }).rustc; expected = { throws = "has no toolchain for host aarch64-apple-darwin: it covers x86_64-unknown-linux-gnu."; }; }
  { name = "the hosts it covers build"; expr = (lockedSources { lock = lock // { crossflake = lock.crossflake // { hosts = [ "x86_64-unknown-linux-gnu" ]; }; }; host = "x86_64-unknown-linux-gnu"; }).rustc.url; expected = "${dist}/rustc-1.95.0-x86_64-unknown-linux-gnu.tar.gz"; }
  { name = "a lock with no hosts key (older) covers any host"; expr = (lockedSources { lock = lock // { crossflake = removeAttrs lock.crossflake [ "hosts" ]; }; host = "aarch64-apple-darwin"; }).rustc.url; expected = "${dist}/rustc-1.95.0-aarch64-apple-darwin.tar.gz"; }
  { name = "the lock matches its rust-toolchain.toml"; expr = lockCheck { inherit lock toolchain; }; expected = true; }
  { name = "order does not matter"; expr = lockCheck { inherit lock; toolchain = toolchain // { targets = builtins.sort (a: b: a > b) toolchain.targets; }; }; expected = true; }
  { name = "a new target makes it stale"; expr = lockCheck { inherit lock; toolchain = toolchain // { targets = toolchain.targets ++ [ "armv7-unknown-linux-musleabihf" ]; }; }; expected = { throws = "rust-toolchain.lock.toml does not match rust-toolchain.toml (targets: lock has [ aarch64-unknown-linux-musl wasm32-wasip1 x86_64-unknown-linux-musl ], rust-toolchain.toml has [ aarch64-unknown-linux-musl armv7-unknown-linux-musleabihf wasm32-wasip1 x86_64-unknown-linux-musl ])"; }; }
  { name = "another profile makes it stale"; expr = lockCheck { inherit lock; toolchain = toolchain // { profile = "default"; }; }; expected = { throws = "(profile: lock has none, rust-toolchain.toml has default)"; }; }
  { name = "a lock made for that profile matches"; expr = lockCheck { lock = lock // { crossflake = lock.crossflake // { profile = "default"; }; }; toolchain = toolchain // { profile = "default"; }; }; expected = true; }
  { name = "another channel makes it stale"; expr = lockCheck { inherit lock; toolchain = toolchain // { channel = "1.96.0"; }; }; expected = { throws = "(channel: lock has 1.95.0, rust-toolchain.toml has 1.96.0)"; }; }
]
