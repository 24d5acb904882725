using System.Text;

namespace ControlNet.Generators.Emitting
{
    /// <summary>An indentation-aware text writer (after dotnet/runtime's SourceWriter); output uses \n line ends.</summary>
    internal sealed class SourceWriter
    {
        private readonly StringBuilder _sb = new StringBuilder();
        private int _indent;

        public void Indent() => _indent++;

        public void Unindent() => _indent--;

        public void Line(string text = "")
        {
            if (text.Length > 0) _sb.Append(' ', _indent * 4).Append(text);
            _sb.Append('\n');
        }

        public void Open(string header)
        {
            Line(header);
            Line("{");
            Indent();
        }

        public void Close(string suffix = "")
        {
            Unindent();
            Line("}" + suffix);
        }

        public override string ToString() => _sb.ToString();
    }
}
