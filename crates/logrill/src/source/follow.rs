//! `follow`: tail -F (issue 5).
