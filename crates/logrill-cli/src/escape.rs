//! Showing bytes from outside (log lines, file names) to a terminal without letting them
//! drive it: the one escaping used for stdout (values, tables) and stderr (messages).

/// Append `bytes` to `out` so that a terminal shows them and does not obey them: control
/// characters (C0 but tab, DEL, C1: what starts ESC/CSI/OSC sequences) and bytes that are
/// not UTF-8 (a lone 0x9b is CSI to some terminals) become `\xNN`. Text is left alone.
pub fn escape_controls(bytes: &[u8], out: &mut Vec<u8>) {
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() && c != '\t' {
                out.extend_from_slice(format!("\\x{:02x}", c as u32).as_bytes());
            } else {
                let mut b = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
        for b in chunk.invalid() {
            out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
        }
    }
}

/// Whether bytes hold anything [`escape_controls`] would change.
pub fn needs_escape(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| b < 0x20 && b != b'\t' || b >= 0x7f)
        && bytes.utf8_chunks().any(|c| {
            !c.invalid().is_empty() || c.valid().chars().any(|ch| ch.is_control() && ch != '\t')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(b: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        escape_controls(b, &mut out);
        out
    }

    #[test]
    fn control_sequences_are_shown_not_obeyed() {
        assert_eq!(esc(b"plain text\tok"), b"plain text\tok");
        assert_eq!(
            esc(b"\x1b[2J\x1b]0;title\x07"),
            b"\\x1b[2J\\x1b]0;title\\x07"
        );
        assert_eq!(
            esc("caf\u{e9} \u{9b}".as_bytes()),
            "caf\u{e9} \\x9b".as_bytes()
        );
        assert_eq!(esc(b"bad \x9b byte\x00"), b"bad \\x9b byte\\x00");
        assert!(!needs_escape("caf\u{e9}".as_bytes()));
        assert!(needs_escape(b"\x7f"));
    }
}
