use std::net::IpAddr;

use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("an address")
}

#[test]
fn cidr_lists_hold_networks_and_addresses_of_both_families() {
    let text =
        b"# office\n10.0.0.0/8   # all of it\n192.0.2.7\n\n  2001:db8::/32\n::1\n198.51.100.9/24\n";
    let set = CidrSet::parse(text).expect("valid");
    assert_eq!(set.len(), 5);
    for inside in [
        "10.0.0.0",
        "10.255.255.255",
        "192.0.2.7",
        "2001:db8::1",
        "::1",
        "198.51.100.200",
        "::ffff:10.1.2.3",
    ] {
        assert!(set.contains(ip(inside)), "{inside} is listed");
    }
    for outside in [
        "11.0.0.0",
        "9.255.255.255",
        "192.0.2.6",
        "192.0.2.8",
        "2001:db9::",
        "::2",
        "198.51.101.0",
    ] {
        assert!(!set.contains(ip(outside)), "{outside} is not listed");
    }
}

#[test]
fn cidr_ranges_merge_when_they_overlap_or_touch() {
    let set = CidrSet::parse(
        b"10.0.0.0/24\n10.0.1.0/24\n10.0.0.128/25\n10.0.3.0/24\n0.0.0.0/0\n255.255.255.255\n",
    )
    .expect("valid");
    assert_eq!(set.ranges(), 1, "everything is inside 0.0.0.0/0");
    let set = CidrSet::parse(b"10.0.0.0/24\n10.0.1.0/24\n10.0.3.0/24\n").expect("valid");
    assert_eq!(set.ranges(), 2, "adjacent /24s merge, a gap does not");
    assert!(set.contains(ip("10.0.1.255")));
    assert!(!set.contains(ip("10.0.2.0")));
    assert!(CidrSet::parse(b"").expect("empty is valid").is_empty());
}

#[test]
fn a_bad_line_is_named_by_its_number() {
    let err = CidrSet::parse(b"10.0.0.0/8\n# fine\n10.0.0.0/33\n").expect_err("prefix too long");
    assert_eq!(err.line, 3, "{err}");
    assert!(err.to_string().starts_with("line 3: "), "{err}");
    assert_eq!(
        CidrSet::parse(b"1.2.3.4\nexample.com\n")
            .expect_err("a name")
            .line,
        2
    );
    assert_eq!(IntSet::parse(b"1\n2\n-3\n").expect_err("negative").line, 3);
    assert_eq!(StrSet::parse(b"a\n\xff\n").expect_err("not UTF-8").line, 2);
}

#[test]
fn string_lists_keep_hashes_inside_entries_and_trim_spaces() {
    let set = StrSet::parse(b"# keys\n  k-1  \nk#2\n\nk-1\n").expect("valid");
    assert_eq!(set.len(), 2, "a duplicate is one entry");
    assert!(set.contains(Some("k-1")));
    assert!(set.contains(Some("k#2")));
    assert!(!set.contains(Some("# keys")));
    assert!(!set.contains(None));
    let ints = IntSet::parse(b"7 # seven\n18446744073709551615\n").expect("valid");
    assert!(ints.contains(7) && ints.contains(u64::MAX) && !ints.contains(8));
}

/// A file, rewritten in the test's temporary directory.
fn file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pxy-data-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn a_list_keeps_its_contents_when_the_file_turns_bad_or_goes_away() {
    let path = file("keys.txt", "a\nb\n");
    let list = List::<StrSet>::load("keys", &path).expect("loads");
    let data = list.data_file();
    assert!(list.current().contains(Some("a")));
    // A rename over the file: a new inode, read at the next look.
    let next = file("keys.next", "c\n");
    std::fs::rename(&next, &path).expect("rename");
    data.refresh(false);
    assert!(list.current().contains(Some("c")) && !list.current().contains(Some("a")));
    // A line that is not UTF-8: the previous contents stay.
    std::fs::write(&path, b"d\n\xff\n").expect("write");
    data.refresh(false);
    assert!(list.current().contains(Some("c")), "kept");
    std::fs::remove_file(&path).expect("remove");
    data.refresh(false);
    assert!(list.current().contains(Some("c")), "kept");
    std::fs::write(&path, "e\n").expect("write");
    data.refresh(false);
    assert!(list.current().contains(Some("e")), "back");
}

#[test]
fn an_unchanged_stamp_is_only_read_again_when_forced() {
    let path = file("same.txt", "10.0.0.0/8\n");
    let list = List::<CidrSet>::load("same", &path).expect("loads");
    let modified = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .expect("mtime");
    // Same size, same inode, same modification time: the poll cannot see it.
    std::fs::write(&path, "11.0.0.0/8\n").expect("write");
    std::fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_modified(modified))
        .expect("set mtime");
    let data = list.data_file();
    data.refresh(false);
    assert!(
        list.current().contains(ip("10.1.1.1")),
        "not seen without a reload"
    );
    data.refresh(true);
    assert!(list.current().contains(ip("11.1.1.1")), "seen when forced");
}

#[test]
fn a_missing_list_file_stops_start_up_and_a_missing_flag_is_off() {
    let dir = std::env::temp_dir().join(format!("pxy-data-missing-{}", std::process::id()));
    let err = List::<StrSet>::load("keys", dir.join("none.txt")).expect_err("missing");
    assert!(err.to_string().contains("none.txt"), "{err}");
    let path = file("flag.on", "");
    let flag = Flag::load("maintenance", &path);
    assert!(flag.is_on());
    std::fs::remove_file(&path).expect("remove");
    flag.data_file().refresh(false);
    assert!(!flag.is_on());
    let err = List::<CidrSet>::load("bad", file("bad.txt", "x\n")).expect_err("bad line");
    assert!(
        crate::error::chain(&err).contains("line 1"),
        "{}",
        crate::error::chain(&err)
    );
}

#[test]
fn a_file_written_in_two_steps_is_only_taken_whole() {
    use std::io::Write as _;
    let path = file("two-steps.txt", "k-old\n");
    let list = List::<StrSet>::load("two-steps", &path).expect("loads");
    let data = list.data_file();
    // A slow writer: truncate, write half, pause (shorter than SETTLE), write the rest.
    let writer = std::thread::spawn({
        let path = path.clone();
        move || {
            let mut f = std::fs::File::create(&path).expect("truncate");
            f.write_all(b"k-1\nk-2\n").expect("first half");
            std::thread::sleep(refresh::SETTLE / 3);
            f.write_all(b"k-3\n").expect("second half");
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(5));
    let whole_or_old = |list: &List<StrSet>| {
        let now = list.current();
        let old = now.len() == 1 && now.contains(Some("k-old"));
        let new = now.len() == 3 && now.contains(Some("k-1")) && now.contains(Some("k-3"));
        (old, new)
    };
    // Looked at while half written: the half is never taken.
    data.refresh(false);
    let (old, new) = whole_or_old(&list);
    assert!(old || new, "a half-written file was taken");
    writer.join().expect("writer");
    std::thread::sleep(refresh::SETTLE);
    data.refresh(false);
    assert_eq!(
        whole_or_old(&list),
        (false, true),
        "the whole file once it settled"
    );
}
