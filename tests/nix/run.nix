# Evaluates every case file in this directory: each is a function of the pure library
# returning a list of { name; expr; expected; }. Result: { passed; failed = [ ... ]; }.
# An `expected` of { throws = true; } means evaluating `expr` must fail.
let
  pure = import ../../nix/pure.nix { };
  files = builtins.filter (f: f != "run.nix" && builtins.match ".*\\.nix" f != null)
    (builtins.attrNames (builtins.readDir ./.));
  cases = builtins.concatLists (map (f: map (c: c // { file = f; }) (import (./. + "/${f}") pure)) files);
  check = c:
    if builtins.isAttrs c.expected && c.expected ? throws then
      (builtins.tryEval (builtins.deepSeq c.expr c.expr)).success == false
    else
      c.expr == c.expected;
  results = map (c: c // { ok = check c; }) cases;
  failed = builtins.filter (r: !r.ok) results;
in
{
  passed = builtins.length results - builtins.length failed;
  failed = map
    (r: {
      inherit (r) name file;
      expected = r.expected;
      got = if r.expected ? throws then "did not throw" else r.expr;
    })
    failed;
}
