//! An HTTP server on 127.0.0.1 that misbehaves on cue: per path, a list of answers given in
//! turn (the last one repeats), each request counted, so a test sees both what crossflake
//! said and how many times it asked.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One answer to one request.
#[derive(Clone, Debug)]
pub enum Answer {
    /// 200 with this body and its Content-Length.
    Body(Vec<u8>),
    /// This status with a one-line body.
    Status(u16),
    /// The whole body's Content-Length, then only its first `usize` bytes, then the
    /// connection closed.
    Truncated(Vec<u8>, usize),
    /// The whole body's Content-Length and its first `usize` bytes, then nothing more for a
    /// minute (the connection held open).
    Stall(Vec<u8>, usize),
    /// The body one byte at a time, one every `Duration`: never idle for long, never done
    /// soon.
    Trickle(Vec<u8>, Duration),
    /// 302 to this path.
    Redirect(String),
    /// The connection closed before any answer.
    Close,
}

/// A running server: its base URL and the requests it got.
pub struct FaultyServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    hits: Arc<Mutex<BTreeMap<String, usize>>>,
}

impl FaultyServer {
    /// How many requests asked for `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

/// Starts a server answering each path with its answers in turn (the last repeats), and 404
/// for any other path. It runs until the test process ends.
pub fn serve_faulty(routes: BTreeMap<String, Vec<Answer>>) -> FaultyServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    let counts = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let path = read_request(&stream);
            let n = {
                let mut c = counts.lock().unwrap();
                let n = c.entry(path.clone()).or_insert(0);
                *n += 1;
                *n
            };
            let answer = routes
                .get(&path)
                .map(|a| a[(n - 1).min(a.len() - 1)].clone())
                .unwrap_or(Answer::Status(404));
            std::thread::spawn(move || answer_with(stream, answer));
        }
    });
    FaultyServer { url, hits }
}

/// The request's path; the rest of its head is read and dropped.
fn read_request(stream: &TcpStream) -> String {
    let mut reader = BufReader::new(stream);
    let mut request = String::new();
    let _ = reader.read_line(&mut request);
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" => break,
            Ok(_) => {}
        }
    }
    request.split_whitespace().nth(1).unwrap_or("/").to_string()
}

fn head(stream: &mut TcpStream, status: &str, length: usize, extra: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {length}\r\n{extra}Connection: close\r\n\r\n"
    );
}

fn answer_with(mut stream: TcpStream, answer: Answer) {
    match answer {
        Answer::Body(body) => {
            head(&mut stream, "200 OK", body.len(), "");
            let _ = stream.write_all(&body);
        }
        Answer::Status(code) => {
            let body = format!("status {code}\n");
            head(&mut stream, &format!("{code} Status"), body.len(), "");
            let _ = stream.write_all(body.as_bytes());
        }
        Answer::Truncated(body, n) => {
            head(&mut stream, "200 OK", body.len(), "");
            let _ = stream.write_all(&body[..n]);
        }
        Answer::Stall(body, n) => {
            head(&mut stream, "200 OK", body.len(), "");
            let _ = stream.write_all(&body[..n]);
            let _ = stream.flush();
            std::thread::sleep(Duration::from_secs(60));
        }
        Answer::Trickle(body, every) => {
            head(&mut stream, "200 OK", body.len(), "");
            for b in body {
                if stream.write_all(&[b]).is_err() {
                    return;
                }
                std::thread::sleep(every);
            }
        }
        Answer::Redirect(to) => {
            head(&mut stream, "302 Found", 0, &format!("Location: {to}\r\n"));
        }
        Answer::Close => {}
    }
}
