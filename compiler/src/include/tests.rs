use super::*;

use crate::files::{DiskLoader, MemoryLoader};

fn problems_of(resolved: &Resolved) -> Vec<&IncludeError> {
    resolved.problems.iter().collect()
}

#[test]
fn included_items_replace_the_include_in_order() {
    let loader = MemoryLoader::default()
        .with(
            "conf/common/up.pxy",
            "upstream api { server 127.0.0.1:1 }\n",
        )
        .with(
            "conf/routes.pxy",
            "include \"common/up.pxy\"\nroute { proxy api }\n",
        );
    let main = "listen http 127.0.0.1:8080\ninclude \"routes.pxy\"\non request { }\n";
    let resolved = resolve(Path::new("conf/main.pxy"), main.into(), &loader);
    assert!(resolved.problems.is_empty(), "{:?}", resolved.problems);
    let items = resolved.program.expect("parsed").items;
    let kinds: Vec<&str> = items
        .iter()
        .map(|i| match i {
            Item::Server(_) => "server",
            Item::Listen(_) => "listen",
            Item::Upstream(_) => "upstream",
            Item::Limit(_) => "limit",
            Item::Data(_) => "data",
            Item::Cache(_) => "cache",
            Item::Jwt(_) => "jwt",
            Item::BasicAuth(_) => "basic_auth",
            Item::ForwardAuth(_) => "forward_auth",
            Item::Route(_) => "route",
            Item::On(_) => "on",
            Item::Include(_) => "include",
            Item::Test(_) => "test",
        })
        .collect();
    assert_eq!(kinds, ["listen", "upstream", "route", "on"]);
    let paths: Vec<&str> = resolved
        .sources
        .files()
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(
        paths,
        ["conf/main.pxy", "conf/routes.pxy", "conf/common/up.pxy"]
    );
    // The upstream's span points into its own file.
    let Item::Upstream(up) = &items[1] else {
        unreachable!()
    };
    let file = resolved.sources.file_of(up.name.span);
    assert_eq!(file.path, "conf/common/up.pxy");
    let local = file.local(up.name.span);
    assert_eq!(&file.text[local.start..local.end], "api");
}

#[test]
fn cycles_are_errors_with_the_chain() {
    let loader = MemoryLoader::default()
        .with("a.pxy", "include \"b.pxy\"\n")
        .with("b.pxy", "include \"./a.pxy\"\n");
    let resolved = resolve(Path::new("main.pxy"), "include \"a.pxy\"\n".into(), &loader);
    match problems_of(&resolved).as_slice() {
        [IncludeError::Cycle { chain, .. }] => {
            assert_eq!(chain, &["a.pxy", "b.pxy", "a.pxy"]);
        }
        other => panic!("{other:?}"),
    }
    // Including the main file itself is a cycle too.
    let resolved = resolve(
        Path::new("dir/main.pxy"),
        "include \"../dir/main.pxy\"\n".into(),
        &MemoryLoader::default(),
    );
    assert!(matches!(
        problems_of(&resolved).as_slice(),
        [IncludeError::Cycle { .. }]
    ));
}

#[test]
fn a_second_include_of_a_file_is_a_warning_and_skipped() {
    let loader = MemoryLoader::default().with("up.pxy", "upstream api { server 127.0.0.1:1 }\n");
    let main = "include \"up.pxy\"\ninclude \"./up.pxy\"\n";
    let resolved = resolve(Path::new("main.pxy"), main.into(), &loader);
    assert!(matches!(
        problems_of(&resolved).as_slice(),
        [IncludeError::Duplicate { .. }]
    ));
    assert!(resolved.problems[0].is_warning());
    assert_eq!(resolved.program.expect("parsed").items.len(), 1);
}

#[test]
fn missing_files_and_syntax_errors_point_into_the_right_file() {
    let loader = MemoryLoader::default().with("bad.pxy", "route {\n");
    let main = "include \"missing.pxy\"\ninclude \"bad.pxy\"\n";
    let resolved = resolve(Path::new("main.pxy"), main.into(), &loader);
    assert!(resolved.program.is_none());
    match (
        problems_of(&resolved).as_slice(),
        resolved.syntax.as_slice(),
    ) {
        ([IncludeError::Unreadable { path, span, .. }], [e]) => {
            assert_eq!(path, "missing.pxy");
            assert_eq!(resolved.sources.file_of(*span).path, "main.pxy");
            assert_eq!(resolved.sources.file_of(e.span).path, "bad.pxy");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_disk_loader_refuses_what_is_not_a_small_text_file() {
    let dir = std::env::temp_dir();
    assert!(DiskLoader.read(&dir).is_err());
    assert!(DiskLoader
        .read(Path::new("/definitely/not/here.pxy"))
        .is_err());
}
