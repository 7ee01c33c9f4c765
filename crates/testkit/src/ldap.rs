//! A real OpenLDAP server (`slapd`) on loopback, for the LDAP login tests.
//!
//! [`Slapd::start`] writes a `slapd.conf` and an `mdb` database to a temporary directory,
//! loads the entries below offline (`slapd -Ta`, i.e. `slapadd`), then runs `slapd` in the
//! foreground on `ldap://127.0.0.1:<free port>/`: as the current user (no privileges needed:
//! the port is above 1024 and every file is ours), or, when that is root, as `nobody` (`-u`,
//! the files given to it). It answers within a few tens of milliseconds; it is killed, and its
//! directory removed, on drop.
//!
//! The directory (`dc=example,dc=org`):
//!
//! | entry | password | notes |
//! | --- | --- | --- |
//! | `cn=admin,dc=example,dc=org` | `admin-secret` | the `rootdn` (not an entry) |
//! | `cn=argos,ou=services,dc=example,dc=org` | `service-secret` | a service account for `bind_dn` |
//! | `uid=alice,ou=users,dc=example,dc=org` | `wonderland` | |
//! | `uid=bob,ou=users,dc=example,dc=org` | `builder` | |
//! | `uid=carol,ou=users,dc=example,dc=org` | `former-staff` | `employeeType: former`, for filters |
//! | `uid=twin,ou=a,ou=users,…` and `uid=twin,ou=b,ou=users,…` | `twins` | one login, two entries |
//! | `ou=elsewhere,ou=users,dc=example,dc=org` | | a referral to [`REFERRAL`] |
//!
//! Every user is an `inetOrgPerson` (`uid`, `cn`, `sn`, `mail: <uid>@example.org`). Passwords
//! are stored in clear text (slapd compares them as they are). The server allows
//! unauthenticated binds (`allow bind_anon_dn`: a DN with an empty password is an anonymous
//! bind that SUCCEEDS, as on many real directories), and [`Search`] says who may search.
//!
//! When no `slapd` (or no schema directory) is found, [`Slapd::start`] FAILS with `CI=true`
//! (CI must run these tests: `.ci/run` installs Debian's `slapd`) and returns `None` elsewhere,
//! with a note, so the caller skips.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The directory's suffix.
pub const BASE: &str = "dc=example,dc=org";
/// Where the users are (a `user_tree`).
pub const USERS: &str = "ou=users,dc=example,dc=org";
/// The service account (a `bind_dn`).
pub const SERVICE_DN: &str = "cn=argos,ou=services,dc=example,dc=org";
/// The service account's password (a `bind_pwd`).
pub const SERVICE_PASSWORD: &str = "service-secret";
/// The directory's administrator (`rootdn`), who may do anything.
pub const ADMIN_DN: &str = "cn=admin,dc=example,dc=org";
/// The administrator's password.
pub const ADMIN_PASSWORD: &str = "admin-secret";

/// Where `ou=elsewhere,ou=users,…` refers to: subtree searches of [`USERS`] return this
/// continuation reference besides the entries, as Active Directory does from a domain's root.
pub const REFERRAL: &str = "ldap://ldap.invalid/ou=elsewhere,dc=example,dc=org";

/// How long `slapd` may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// Who may search the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    /// Anyone, anonymous binds included (passwords stay unreadable).
    Anyone,
    /// Only bound users: anonymous clients may bind (check a password) and nothing else; an
    /// anonymous search gets `insufficientAccessRights` (50).
    BoundOnly,
}

/// A running `slapd`; killed (and its files removed) on drop.
#[derive(Debug)]
pub struct Slapd {
    /// The port it listens on (`127.0.0.1`).
    pub port: u16,
    /// How long it took from writing the config to answering TCP connections.
    pub startup: Duration,
    dir: PathBuf,
    child: Child,
}

impl Slapd {
    /// A server anyone may search. `None` when slapd is missing outside CI.
    ///
    /// # Panics
    /// When the server does not start, or slapd is missing and `CI=true`.
    pub fn start() -> Option<Slapd> {
        Slapd::start_with(Search::Anyone)
    }

    /// A server with the given search access. `None` when slapd is missing outside CI.
    ///
    /// # Panics
    /// As [`Slapd::start`].
    pub fn start_with(search: Search) -> Option<Slapd> {
        let install = Install::find()?;
        let started = Instant::now();
        let dir = std::env::temp_dir().join(format!("argos-slapd-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("db")).expect("creating slapd's directory");
        let conf = dir.join("slapd.conf");
        std::fs::write(&conf, install.config(&dir, search)).expect("writing slapd.conf");
        std::fs::write(dir.join("data.ldif"), ldif()).expect("writing the entries");
        install.load(&dir);
        // Run as root, slapd would stay root: give it to `nobody` (`-u`) when we can.
        let mut user = (is_root() && chown_nobody(&dir)).then_some("nobody");
        // A free port can be taken between our probe and slapd's bind: try a few.
        for attempt in 1..=5 {
            let port = free_port();
            match install.run(&dir, port, user) {
                Ok(child) => {
                    return Some(Slapd {
                        port,
                        startup: started.elapsed(),
                        dir,
                        child,
                    });
                }
                Err(log) if attempt < 5 && log.contains("Address already in use") => {}
                Err(log) if attempt < 5 && user.is_some() => {
                    // E.g. a TMPDIR that `nobody` may not enter.
                    eprintln!("slapd did not start as nobody; trying as root. It said:\n{log}");
                    user = None;
                }
                Err(log) => {
                    let _ = std::fs::remove_dir_all(&dir);
                    panic!("slapd did not start on port {port}; it said:\n{log}");
                }
            }
        }
        unreachable!("the last attempt panics or returns")
    }

    /// Its URI, e.g. `ldap://127.0.0.1:38999`.
    pub fn uri(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    /// What slapd wrote to its standard error so far (errors, and "slapd starting").
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("slapd.log")).unwrap_or_default()
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Where slapd and its pieces are on this machine.
struct Install {
    slapd: PathBuf,
    schema: PathBuf,
    /// The directory holding `back_mdb`, when slapd loads backends as modules (Debian does).
    modules: Option<PathBuf>,
}

impl Install {
    /// slapd and its schema files, or `None` (skip) outside CI.
    ///
    /// # Panics
    /// When they are missing and `CI=true`.
    fn find() -> Option<Install> {
        let slapd = find_slapd();
        let schema = first_dir(&[
            "/etc/ldap/schema",
            "/etc/openldap/schema",
            "/usr/local/etc/openldap/schema",
            "/opt/homebrew/etc/openldap/schema",
        ])
        .filter(|d| d.join("inetorgperson.schema").is_file());
        if let (Some(slapd), Some(schema)) = (slapd, schema) {
            let modules = [
                "/usr/lib/ldap",
                "/usr/lib64/openldap",
                "/usr/lib/openldap",
                "/usr/libexec/openldap",
                "/usr/local/libexec/openldap",
            ]
            .iter()
            .map(PathBuf::from)
            .find(|d| d.join("back_mdb.so").exists() || d.join("back_mdb.la").exists());
            return Some(Install {
                slapd,
                schema,
                modules,
            });
        }
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "CI=true but slapd (or its schema files) is missing: the LDAP tests must run in CI (see .ci/run)"
            );
        }
        eprintln!("slapd is not installed (apt-get install slapd): skipping this LDAP test");
        None
    }

    fn config(&self, dir: &Path, search: Search) -> String {
        let schema = |name: &str| self.schema.join(name).display().to_string();
        let modules = match &self.modules {
            Some(m) => format!("modulepath {}\nmoduleload back_mdb\n", m.display()),
            None => String::new(),
        };
        let everything = match search {
            Search::Anyone => "access to * by * read",
            Search::BoundOnly => "access to * by users read by anonymous auth by * none",
        };
        format!(
            r#"include {core}
include {cosine}
include {inetorgperson}
{modules}allow bind_anon_dn
database mdb
suffix "{BASE}"
rootdn "{ADMIN_DN}"
rootpw {ADMIN_PASSWORD}
directory "{db}"
maxsize 10485760
index objectClass eq
index uid eq
access to attrs=userPassword by anonymous auth by * none
{everything}
"#,
            core = schema("core.schema"),
            cosine = schema("cosine.schema"),
            inetorgperson = schema("inetorgperson.schema"),
            db = dir.join("db").display(),
        )
    }

    /// Loads `data.ldif` offline (`slapd -Ta` is `slapadd`).
    ///
    /// # Panics
    /// When slapadd refuses it.
    fn load(&self, dir: &Path) {
        let out = Command::new(&self.slapd)
            .arg("-Ta")
            .arg("-f")
            .arg(dir.join("slapd.conf"))
            .arg("-l")
            .arg(dir.join("data.ldif"))
            .stdin(Stdio::null())
            .output()
            .expect("running slapd -Ta");
        if !out.status.success() {
            let _ = std::fs::remove_dir_all(dir);
            panic!(
                "slapadd failed ({}):\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// Runs slapd on `port` until it accepts connections; `Err(its log)` when it exits.
    fn run(&self, dir: &Path, port: u16, user: Option<&str>) -> Result<Child, String> {
        let log_path = dir.join("slapd.log");
        let log = std::fs::File::create(&log_path).expect("creating slapd.log");
        // `-d none`: stay in the foreground (so that the child is slapd itself) and log only
        // what is always logged (errors, "slapd starting").
        let mut cmd = Command::new(&self.slapd);
        cmd.arg("-f")
            .arg(dir.join("slapd.conf"))
            .arg("-h")
            .arg(format!("ldap://127.0.0.1:{port}/"))
            .args(["-d", "none", "-n", "argos-test-slapd"]);
        if let Some(user) = user {
            cmd.args(["-u", user]);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("running slapd");
        let read_log = || std::fs::read_to_string(&log_path).unwrap_or_default();
        let deadline = Instant::now() + START_TIMEOUT;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("(exited: {status})\n{}", read_log()));
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                // Someone listens: make sure it is our slapd, not whoever took the port.
                std::thread::sleep(Duration::from_millis(5));
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!("(exited: {status})\n{}", read_log()));
                }
                return Ok(child);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "(not listening after {}s)\n{}",
                    START_TIMEOUT.as_secs(),
                    read_log()
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// `slapd` on PATH, or where distributions put it (it is usually in an `sbin` directory that
/// a user's PATH lacks).
fn find_slapd() -> Option<PathBuf> {
    let on_path: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("slapd")).collect())
        .unwrap_or_default();
    let known = [
        "/usr/sbin/slapd",
        "/usr/local/sbin/slapd",
        "/usr/libexec/slapd",
        "/usr/local/libexec/slapd",
        "/opt/homebrew/opt/openldap/libexec/slapd",
    ];
    on_path
        .into_iter()
        .chain(known.iter().map(PathBuf::from))
        .find(|p| p.is_file())
}

fn first_dir(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|d| d.is_dir())
}

/// Whether this process runs as root (Linux; elsewhere: assumed not).
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Gives `dir` (the database slapd writes to, its config) to `nobody`.
fn chown_nobody(dir: &Path) -> bool {
    Command::new("chown")
        .arg("-R")
        .arg("nobody")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("binding 127.0.0.1:0")
        .port()
}

/// The entries (see the module's documentation).
fn ldif() -> String {
    let mut out = format!(
        "dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n\
         dn: ou=services,{BASE}\nobjectClass: organizationalUnit\nou: services\n\n\
         dn: {SERVICE_DN}\nobjectClass: applicationProcess\nobjectClass: simpleSecurityObject\n\
         cn: argos\nuserPassword: {SERVICE_PASSWORD}\n\n\
         dn: {USERS}\nobjectClass: organizationalUnit\nou: users\n\n\
         dn: ou=a,{USERS}\nobjectClass: organizationalUnit\nou: a\n\n\
         dn: ou=b,{USERS}\nobjectClass: organizationalUnit\nou: b\n\n\
         dn: ou=elsewhere,{USERS}\nobjectClass: referral\nobjectClass: extensibleObject\n\
         ou: elsewhere\nref: {REFERRAL}\n\n"
    );
    let users = [
        ("alice", "", "wonderland", None),
        ("bob", "", "builder", None),
        ("carol", "", "former-staff", Some("former")),
        ("twin", "ou=a,", "twins", None),
        ("twin", "ou=b,", "twins", None),
    ];
    for (uid, under, password, kind) in users {
        out.push_str(&format!(
            "dn: uid={uid},{under}{USERS}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {uid}\n\
             sn: {uid}\nmail: {uid}@example.org\nuserPassword: {password}\n"
        ));
        if let Some(kind) = kind {
            out.push_str(&format!("employeeType: {kind}\n"));
        }
        out.push('\n');
    }
    out
}
