package documents

import (
	"archive/zip"
	"bytes"
	"net/http"
	"path"
	"slices"
	"strings"
)

// The content types of the accepted files.
const (
	TypePDF  = "application/pdf"
	TypePNG  = "image/png"
	TypeJPEG = "image/jpeg"
	TypeGIF  = "image/gif"
	TypeWebP = "image/webp"
	TypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	TypeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)

// extensions are the file-name extensions of each accepted type, the
// first the one a name without a known extension is given.
var extensions = map[string][]string{
	TypePDF:  {".pdf"},
	TypePNG:  {".png"},
	TypeJPEG: {".jpg", ".jpeg", ".jpe"},
	TypeGIF:  {".gif"},
	TypeWebP: {".webp"},
	TypeXLSX: {".xlsx"},
	TypeDOCX: {".docx"},
}

// typeOfName is the accepted type name's extension stands for, "" for
// none.
func typeOfName(name string) string {
	ext := strings.ToLower(path.Ext(name))
	for t, exts := range extensions {
		if slices.Contains(exts, ext) {
			return t
		}
	}
	return ""
}

// Detect returns the content type of content, read from the content alone
// (never from a name): PDF, PNG, JPEG, GIF, WebP, or an OOXML spreadsheet
// or document (a zip with [Content_Types].xml and xl/ or word/ parts).
// Anything else is "" .
func Detect(content []byte) string {
	switch t := http.DetectContentType(content); t {
	case TypePDF, TypePNG, TypeJPEG, TypeGIF, TypeWebP:
		return t
	case "application/zip":
		return ooxml(content)
	}
	return ""
}

// ooxml tells an OOXML spreadsheet or word-processing document by its
// parts; another zip is "".
func ooxml(content []byte) string {
	z, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
	if err != nil {
		return ""
	}
	var types, xl, word bool
	for _, f := range z.File {
		switch {
		case f.Name == "[Content_Types].xml":
			types = true
		case strings.HasPrefix(f.Name, "xl/"):
			xl = true
		case strings.HasPrefix(f.Name, "word/"):
			word = true
		}
	}
	switch {
	case !types || xl == word:
		return ""
	case xl:
		return TypeXLSX
	default:
		return TypeDOCX
	}
}
