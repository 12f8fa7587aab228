//! `parse`: lines into records (issue 3).
