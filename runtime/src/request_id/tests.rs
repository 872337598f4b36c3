use super::*;
use std::collections::HashSet;

#[test]
fn ids_are_unique_and_hex() {
    let ids: Vec<RequestId> = (0..10_000).map(|_| RequestId::next()).collect();
    let set: HashSet<&str> = ids.iter().map(RequestId::as_str).collect();
    assert_eq!(set.len(), ids.len());
    for id in &ids[..10] {
        assert_eq!(id.as_str().len(), 24);
        assert!(id.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
    }
    // Same process, same prefix.
    assert_eq!(ids[0].as_str()[..8], ids[1].as_str()[..8]);
}

#[test]
fn ids_are_unique_across_threads() {
    let handles: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(|| (0..1000).map(|_| RequestId::next()).collect::<Vec<_>>()))
        .collect();
    let mut set = HashSet::new();
    for handle in handles {
        for id in handle.join().expect("thread panicked") {
            assert!(set.insert(id));
        }
    }
    assert_eq!(set.len(), 4000);
}
