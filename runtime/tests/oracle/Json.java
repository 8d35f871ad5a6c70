/** Just enough JSON string decoding for the oracle programs' inputs. */
final class Json {
    static String parseString(String json) {
        StringBuilder out = new StringBuilder();
        int i = json.indexOf('"') + 1;
        while (i < json.length()) {
            char c = json.charAt(i++);
            if (c == '"') break;
            if (c != '\\') { out.append(c); continue; }
            char e = json.charAt(i++);
            switch (e) {
                case 'n': out.append('\n'); break;
                case 'r': out.append('\r'); break;
                case 't': out.append('\t'); break;
                case 'b': out.append('\b'); break;
                case 'f': out.append('\f'); break;
                case 'u': out.append((char) Integer.parseInt(json.substring(i, i + 4), 16)); i += 4; break;
                default: out.append(e);
            }
        }
        return out.toString();
    }
}
