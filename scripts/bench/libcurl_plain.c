/* The ceiling for W3: one libcurl easy handle with a 512 KiB receive buffer writing with fwrite.
   usage: libcurl_plain URL FILE */
#include <curl/curl.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  FILE* out = fopen(argv[2], "wb");
  CURL* curl = curl_easy_init();
  if (out == NULL || curl == NULL) return 1;
  curl_easy_setopt(curl, CURLOPT_URL, argv[1]);
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 512L * 1024);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
  const CURLcode code = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  return fclose(out) == 0 && code == CURLE_OK ? 0 : 1;
}
