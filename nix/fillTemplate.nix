# fillTemplate values template -> string, or null when a placeholder it names has the
# value null (the caller drops the entry). Throws on a placeholder `values` lacks.
# The same rule as fill() in src/catalog.rs.
#   fillTemplate { a = "1"; gone = null; } "x{a}"    == "x1"
#   fillTemplate { a = "1"; gone = null; } "x{gone}" == null
{}:
values: template:
let
  parts = builtins.split "\\{([A-Za-z][A-Za-z0-9-]*)}" template;
  resolve = p:
    if builtins.isString p then p
    else
      let name = builtins.head p;
      in if builtins.hasAttr name values then values.${name}
      else throw "crossflake: unknown placeholder {${name}} in catalog template `${template}`";
  resolved = map resolve parts;
in
if builtins.elem null resolved then null else builtins.concatStringsSep "" resolved
