//! Windows: a registry change notification on the `Internet Settings` key
//! wakes the watcher at once (`RegNotifyChangeKeyValue`), instead of waiting
//! for the next poll. As with inotify on Linux, the notification only wakes
//! the thread; the comparison of what the readers read decides whether
//! anything changed.
//!
//! The OS shim of the watcher: the one module of the crate with `unsafe`
//! code, each call a plain Win32 call on handles this module owns and closes.

#![allow(unsafe_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::Arc;
use std::thread::JoinHandle;

use windows_sys::Win32::Foundation::{CloseHandle, ERROR_SUCCESS, HANDLE, WAIT_OBJECT_0};
use windows_sys::Win32::System::Registry::{
    RegCloseKey, RegNotifyChangeKeyValue, RegOpenKeyExW, HKEY, HKEY_CURRENT_USER,
    HKEY_LOCAL_MACHINE, KEY_NOTIFY, REG_NOTIFY_CHANGE_LAST_SET, REG_NOTIFY_CHANGE_NAME,
};
use windows_sys::Win32::System::Threading::{CreateEventW, WaitForSingleObject};

/// How long one wait lasts before the thread looks at its stop flag: the
/// bound on how long dropping the watcher waits for this thread.
const WAIT_MS: u32 = 250;

/// The key WinINet keeps its settings under, in HKCU and (machine policy) HKLM.
const KEY: &str = r"Software\Microsoft\Windows\CurrentVersion\Internet Settings";

/// One thread waiting on registry notifications; stopped and joined on drop.
pub(super) struct RegistryEvents {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RegistryEvents {
    /// Starts the thread; `None` when the key cannot be opened for
    /// notification (the polling still sees every change).
    pub(super) fn start(wake: SyncSender<super::worker::Msg>) -> Option<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("proxyroute-registry".to_owned())
            .spawn(move || run(&flag, &wake))
            .ok()?;
        Some(RegistryEvents {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for RegistryEvents {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// An open registry key, closed on drop.
struct Key(HKEY);

impl Key {
    fn open(root: HKEY) -> Option<Key> {
        let name: Vec<u16> = KEY.encode_utf16().chain(Some(0)).collect();
        let mut key: HKEY = std::ptr::null_mut();
        // SAFETY: `name` is a NUL-terminated UTF-16 string that outlives the
        // call, and `key` is a valid place for the handle.
        let status = unsafe { RegOpenKeyExW(root, name.as_ptr(), 0, KEY_NOTIFY, &mut key) };
        (status == ERROR_SUCCESS).then_some(Key(key))
    }

    /// Asks for `event` to be signalled at the next change of the key, its
    /// values or its subkeys (`Connections`).
    fn arm(&self, event: &Event) -> bool {
        // SAFETY: both handles are open and owned by this module.
        let status = unsafe {
            RegNotifyChangeKeyValue(
                self.0,
                1,
                REG_NOTIFY_CHANGE_LAST_SET | REG_NOTIFY_CHANGE_NAME,
                event.0,
                1,
            )
        };
        status == ERROR_SUCCESS
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        // SAFETY: the key was opened by `RegOpenKeyExW` and is closed once.
        unsafe {
            RegCloseKey(self.0);
        }
    }
}

/// An auto-reset event, closed on drop.
struct Event(HANDLE);

impl Event {
    fn new() -> Option<Event> {
        // SAFETY: no security attributes, no name: an anonymous event.
        let handle = unsafe { CreateEventW(std::ptr::null(), 0, 0, std::ptr::null()) };
        (!handle.is_null()).then_some(Event(handle))
    }

    /// Whether the event was signalled within `ms`.
    fn wait(&self, ms: u32) -> bool {
        // SAFETY: the handle is open and owned by this module.
        unsafe { WaitForSingleObject(self.0, ms) == WAIT_OBJECT_0 }
    }
}

impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: the handle was made by `CreateEventW` and is closed once.
        unsafe {
            CloseHandle(self.0);
        }
    }
}

/// Waits for changes of the HKCU and HKLM keys until `stop` is set, sending
/// a wake for each.
fn run(stop: &AtomicBool, wake: &SyncSender<super::worker::Msg>) {
    let Some(event) = Event::new() else {
        return;
    };
    let keys: Vec<Key> = [HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE]
        .into_iter()
        .filter_map(Key::open)
        .collect();
    if keys.is_empty() {
        return;
    }
    let arm_all = || keys.iter().all(|key| key.arm(&event));
    if !arm_all() {
        return;
    }
    while !stop.load(Ordering::Relaxed) {
        if event.wait(WAIT_MS) {
            // A full queue already holds a wake: drop this one.
            let _ = wake.try_send(super::worker::Msg::Wake);
            // A notification fires once: ask again.
            if !arm_all() {
                return;
            }
        }
    }
}
