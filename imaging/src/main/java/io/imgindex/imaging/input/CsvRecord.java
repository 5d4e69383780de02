package io.imgindex.imaging.input;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits RFC 4180 records: fields separated by commas, optionally quoted with {@code "}, a quote inside a
 * quoted field written twice; a quoted field may span lines. Unquoted fields are taken as they are (a stray
 * quote inside one is kept).
 */
final class CsvRecord {

    /** A record that breaks the rules, with the reason. */
    static final class MalformedException extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedException(String message) {
            super(message);
        }
    }

    /** Supplies the next physical line when a quoted field continues past the end of one. */
    interface Continuation {
        /** The next line's text, or null at the end of the input. */
        String nextLine() throws IOException;
    }

    private CsvRecord() {}

    /** The fields of the record that starts with {@code line}. */
    static List<String> split(String line, Continuation more) throws IOException, MalformedException {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        String text = line;
        int i = 0;
        boolean quoted = false;
        boolean fieldStart = true;
        boolean afterQuote = false;
        while (true) {
            if (i == text.length()) {
                if (quoted) {
                    String next = more.nextLine();
                    if (next == null) {
                        throw new MalformedException("unterminated quoted field at end of file");
                    }
                    field.append('\n');
                    text = next;
                    i = 0;
                    continue;
                }
                fields.add(field.toString());
                return fields;
            }
            char c = text.charAt(i++);
            if (quoted) {
                if (c == '"') {
                    if (i < text.length() && text.charAt(i) == '"') {
                        field.append('"');
                        i++;
                    } else {
                        quoted = false;
                        afterQuote = true;
                    }
                } else {
                    field.append(c);
                }
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
                fieldStart = true;
                afterQuote = false;
            } else if (afterQuote) {
                throw new MalformedException(
                        "unexpected '" + c + "' after a closing quote in field " + (fields.size() + 1));
            } else if (c == '"' && fieldStart) {
                quoted = true;
                fieldStart = false;
            } else {
                field.append(c);
                fieldStart = false;
            }
        }
    }
}
