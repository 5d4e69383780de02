package io.imgindex.imaging.input;

import java.io.IOException;
import java.io.Reader;

/**
 * Reads lines (ended by {@code \n}, {@code \r\n} or {@code \r}) with a length cap, so that a binary file
 * passed as a URL list cannot exhaust memory: the part of a line beyond the cap is read and dropped, and the
 * line is flagged as too long. Not thread-safe.
 */
final class BoundedLineReader {

    /** A line of input. {@code number} counts from 1. */
    record Line(String text, long number, boolean tooLong) {}

    private final Reader in;
    private final int maxChars;
    private final StringBuilder buf = new StringBuilder();
    private long lineNumber;
    private int pushedBack = -2;

    BoundedLineReader(Reader in, int maxChars) {
        this.in = in;
        this.maxChars = maxChars;
    }

    /** The next line, or null at the end of the input. */
    Line next() throws IOException {
        buf.setLength(0);
        boolean tooLong = false;
        int c = read();
        if (c < 0) {
            return null;
        }
        while (c >= 0 && c != '\n' && c != '\r') {
            if (buf.length() < maxChars) {
                buf.append((char) c);
            } else {
                tooLong = true;
            }
            c = read();
        }
        if (c == '\r') {
            int after = read();
            if (after != '\n') {
                pushedBack = after;
            }
        }
        lineNumber++;
        if (lineNumber == 1 && buf.length() > 0 && buf.charAt(0) == '\uFEFF') {
            buf.deleteCharAt(0); // a UTF-8 byte order mark is not part of the first line
        }
        return new Line(buf.toString(), lineNumber, tooLong);
    }

    private int read() throws IOException {
        if (pushedBack != -2) {
            int c = pushedBack;
            pushedBack = -2;
            return c;
        }
        return in.read();
    }
}
