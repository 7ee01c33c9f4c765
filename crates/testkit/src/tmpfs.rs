//! A tiny file system to fill up: a `tmpfs` of a chosen size mounted on a fresh temporary
//! directory, unmounted (lazily, so a process still holding a file does not block it) and
//! removed when the handle drops, also when the test panics.
//!
//! Mounting needs root (CI and the development machines run as root); elsewhere
//! [`Tmpfs::mount`] returns the error and the caller decides whether to skip.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A mounted tmpfs.
#[derive(Debug)]
pub struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `bytes` (rounded up to pages by the kernel).
    ///
    /// # Errors
    /// When the directory cannot be made or `mount` fails (not root, no tmpfs).
    pub fn mount(bytes: u64) -> std::io::Result<Tmpfs> {
        let path = std::env::temp_dir().join(format!("argos-tmpfs-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir(&path)?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={bytes},mode=0755"))
            .arg("tmpfs")
            .arg(&path)
            .output();
        match out {
            Ok(out) if out.status.success() => Ok(Tmpfs { path }),
            Ok(out) => {
                let _ = std::fs::remove_dir(&path);
                Err(std::io::Error::other(format!(
                    "mount -t tmpfs failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                )))
            }
            Err(e) => {
                let _ = std::fs::remove_dir(&path);
                Err(e)
            }
        }
    }

    /// Where it is mounted.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes zeros to `name` until the file system is full; returns the bytes written.
    ///
    /// # Panics
    /// On an error other than "no space left".
    pub fn fill(&self, name: &str) -> u64 {
        use std::io::Write;
        let path = self.path.join(name);
        let mut file = std::fs::File::create(&path).expect("creating the filler file");
        let chunk = vec![0u8; 4096];
        let mut written = 0u64;
        loop {
            match file.write(&chunk) {
                Ok(0) => break,
                Ok(n) => written += n as u64,
                Err(e) if e.raw_os_error() == Some(ENOSPC) => break,
                Err(e) => panic!("filling {}: {e}", path.display()),
            }
        }
        written
    }
}

/// `ENOSPC` on Linux.
const ENOSPC: i32 = 28;

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazily: a process of the test that still holds a file must not keep it mounted.
        let unmounted = Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .status()
            .is_ok_and(|s| s.success());
        if unmounted {
            let _ = std::fs::remove_dir_all(&self.path);
        } else {
            eprintln!("could not unmount {}", self.path.display());
        }
    }
}
