//! The processes a child of the stack started, read from /proc (Linux): the functions that
//! `cargo lambda watch` runs, and whether it is building one. It runs each function in a process
//! group of its own, so the lineage (`/proc/<pid>/stat`) is what ties a function to the stack.

/// One process below the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub pid: i32,
    /// The kernel's name for it (`comm`: the executable's name, cut at 15 bytes).
    pub name: String,
}

/// Every process whose parent chain reaches `root`, `root` excluded.
pub fn descendants(root: u32) -> Vec<Process> {
    let entries = std::fs::read_dir("/proc").into_iter().flatten().flatten();
    let processes: Vec<(u32, u32, String)> = entries
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            parse_stat(pid, &stat)
        })
        .collect();
    let mut lineage = vec![root];
    let mut found = Vec::new();
    while let Some(parent) = lineage.pop() {
        for (pid, _, name) in processes.iter().filter(|(_, ppid, _)| *ppid == parent) {
            lineage.push(*pid);
            if let Ok(pid) = i32::try_from(*pid) {
                found.push(Process {
                    pid,
                    name: name.clone(),
                });
            }
        }
    }
    found
}

/// `(pid, parent, name)` from `/proc/<pid>/stat`: `pid (name) state ppid ...`, where the name may
/// itself hold spaces and parentheses.
fn parse_stat(pid: u32, stat: &str) -> Option<(u32, u32, String)> {
    let (head, rest) = stat.rsplit_once(") ")?;
    let name = head.split_once(" (")?.1.to_owned();
    let parent: u32 = rest.split(' ').nth(1)?.parse().ok()?;
    Some((pid, parent, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_spaces_and_parentheses_are_read_whole() {
        let stat = "4242 (odd (name) x) S 17 4242 4242 0 -1 4194560";
        assert_eq!(
            parse_stat(4242, stat),
            Some((4242, 17, "odd (name) x".to_owned()))
        );
        assert_eq!(parse_stat(1, "garbage"), None);
    }

    #[test]
    fn a_spawned_child_is_a_descendant_of_this_process() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let found = descendants(std::process::id());
        let _ = child.kill();
        let _ = child.wait();
        assert!(
            found
                .iter()
                .any(|process| process.pid == child.id() as i32 && process.name == "sleep"),
            "{found:?}"
        );
    }
}
