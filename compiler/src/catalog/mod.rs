//! The vocabulary of the language, one table per kind of word: the fields of the request model
//! ([`fields`]), the functions ([`functions`]), the keywords and the fixed words of each place
//! ([`words`]), and the settings of upstreams, health checks and discovery ([`settings`]).
//!
//! Each entry pairs the word with the enum value the compiler steers by, its type or syntax and
//! a one-line doc taken from `docs/language.md`. The checker resolves words only through these
//! tables, the language server draws hover and completion from them, and the vocabulary test
//! (`tests/tests/vocabulary.rs`) fails when the pest grammar, the TextMate grammar, the fuzz
//! dictionary or `docs/language.md` names a word a table does not (or the other way round). A
//! new word is added here once; a new enum value is a build error wherever it is not handled.

pub mod fields;
pub mod functions;
pub mod headers;
pub mod settings;
pub mod words;

pub use fields::{field, FieldInfo, Object, FIELDS};
pub use functions::{function, FunctionInfo, FUNCTIONS};
pub use words::{word, Word, WordInfo, KEYWORDS};

/// The entry of `table` for `word`, if there is one.
pub fn lookup<T: Copy>(table: &'static [Word<T>], word: &str) -> Option<&'static Word<T>> {
    table.iter().find(|w| w.word == word)
}

/// The words of `table`, in its order (for "expected one of" and completion).
pub fn choices<T: Copy>(table: &'static [Word<T>]) -> Vec<&'static str> {
    table.iter().map(|w| w.word).collect()
}
