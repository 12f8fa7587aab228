//! Opened files as the start of a pipeline. [`Files`] itself is a `source` type (finding
//! and opening know nothing of pipelines); this upper layer gives it [`Files::lines`].

pub use crate::source::Files;

impl Files {
    /// Read their lines (the seed's `gen_cat`): the start of a [`crate::Pipeline`].
    pub fn lines(self) -> crate::Pipeline {
        crate::Pipeline::new(self)
    }
}
